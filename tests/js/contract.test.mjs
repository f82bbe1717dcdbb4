// Contract tests: the official Mattermost JavaScript client (@mattermost/client,
// what the web and desktop apps use) against BASE_URL (the simulator or the gateway).
//
// Environment:
//   BASE_URL                  server under test (required)
//   MM_TOKEN                  personal access token or session token (required)
//   CHANNEL_ID, TEAM_ID       a channel the token's user may post in, and its team (required)
//   MODE                      CLEAN (clean content, every call must succeed) or STOP
//                             (content carries a synthetic SSN, every call must be refused)
//   EXPECT_MESSAGE_SUBSTRING  STOP: the refusal's message must contain this (required in STOP)
//   EXPECT_ERROR_ID           STOP: if set, ClientError.server_error_id must equal it
//   SIMULATOR_URL             if set, the simulator's /__sim/requests record is checked:
//                             STOP: the identifier never reached it; CLEAN: the call did
//   STOP_SSN                  override the synthetic SSN (default below: valid format, made up)
//
// Run: node --test contract.test.mjs   (tests/test_js_client.py does this with the env set)

import assert from 'node:assert/strict';
import {before, describe, test} from 'node:test';

import mm from '@mattermost/client';

const {Client4, ClientError} = mm;

const env = process.env;
const BASE_URL = need('BASE_URL').replace(/\/+$/, '');
const TOKEN = need('MM_TOKEN');
const CHANNEL_ID = need('CHANNEL_ID');
const TEAM_ID = need('TEAM_ID');
const MODE = (env.MODE || 'CLEAN').toUpperCase();
if (!['CLEAN', 'STOP'].includes(MODE)) {
    throw new Error(`MODE must be CLEAN or STOP, got ${MODE}`);
}
const STOP = MODE === 'STOP';
const EXPECT_MESSAGE = env.EXPECT_MESSAGE_SUBSTRING || '';
const EXPECT_ERROR_ID = env.EXPECT_ERROR_ID || '';
const SIMULATOR_URL = (env.SIMULATOR_URL || '').replace(/\/+$/, '');
if (STOP && !EXPECT_MESSAGE) {
    throw new Error('MODE=STOP needs EXPECT_MESSAGE_SUBSTRING (the gateway\'s message)');
}

// Synthetic: valid SSN format (area not 000/666/9xx, group not 00, serial not 0000),
// not one of the published advertising numbers (078-05-1120, 219-09-9999, 123-45-6789).
const SSN = env.STOP_SSN || '536-22-1234';
const SSN_DIGITS = SSN.replace(/\D/g, '');

function need(name) {
    const value = env[name];
    if (!value) {
        throw new Error(`environment variable ${name} is required`);
    }
    return value;
}

// Text for the call under test: clean, or carrying the identifier with its context.
function content(label) {
    return STOP ? `${label}: client Social Security number ${SSN}, please update the account` : `${label}: quarterly review moved to Thursday`;
}

// Record the HTTP status of every response the client sees, so a refusal can be
// checked on the wire as well as in the ClientError (which only carries the body's status_code).
const seenStatuses = [];
const realFetch = globalThis.fetch;
globalThis.fetch = async (...args) => {
    const response = await realFetch(...args);
    seenStatuses.push(response.status);
    return response;
};

const client = new Client4();
client.setUrl(BASE_URL);
client.setToken(TOKEN);
client.setIncludeCookies(false);
const connectionId = 'contract-test-connection';

// A second client whose calls are always clean: setup (e.g. the post to edit) must not be refused.
async function cleanPost(label) {
    const post = await client.createPost({channel_id: CHANNEL_ID, message: `${label}: setup post, nothing sensitive`});
    assert.ok(post.id, 'setup post has an id');
    return post;
}

async function simRecords() {
    const resp = await realFetch(`${SIMULATOR_URL}/__sim/requests`);
    assert.equal(resp.status, 200, 'simulator inspection API answers');
    return resp.json();
}

function recordText(rec) {
    const body = Buffer.from(rec.body_b64, 'base64').toString('latin1');
    return `${rec.path}?${rec.query}\n${rec.headers.map(([k, v]) => `${k}: ${v}`).join('\n')}\n${body}`;
}

function containsIdentifier(text) {
    return text.includes(SSN) || text.includes(SSN_DIGITS) || text.includes(encodeURIComponent(SSN));
}

// Run one client call in the current mode.
//   call(): the client call; returns the result
//   checkClean(result): assertions on a successful result (CLEAN)
//   upstreamPath: the path the call reaches Mattermost on (for the SIMULATOR_URL check)
async function exercise({call, checkClean, upstreamPath}) {
    const before = SIMULATOR_URL ? (await simRecords()).length : 0;
    if (!STOP) {
        const result = await call();
        await checkClean(result);
        if (SIMULATOR_URL) {
            const fresh = (await simRecords()).slice(before);
            assert.ok(
                fresh.some((r) => r.path === upstreamPath),
                `the clean call reached the upstream on ${upstreamPath}; saw ${fresh.map((r) => r.method + ' ' + r.path).join(', ')}`,
            );
        }
        return;
    }
    const statusIndex = seenStatuses.length;
    let caught;
    try {
        await call();
    } catch (err) {
        caught = err;
    }
    assert.ok(caught !== undefined, 'the call carrying an identifier must be refused, but it succeeded');
    // A network error (TypeError from fetch) or anything else that is not the
    // client's ClientError means the client did not get a Mattermost-style answer.
    assert.ok(caught instanceof ClientError, `expected ClientError, got ${caught && caught.name}: ${caught && caught.message}`);
    const httpStatus = seenStatuses[seenStatuses.length - 1];
    assert.ok(seenStatuses.length > statusIndex, 'a response was received');
    assert.notEqual(httpStatus, 401, 'HTTP 401 logs the web app user out: never allowed');
    assert.ok(httpStatus >= 400 && httpStatus < 500, `HTTP status must be 4xx, got ${httpStatus}`);
    assert.notEqual(caught.status_code, 401, 'status_code 401 in the body logs the user out: never allowed');
    assert.equal(caught.status_code, httpStatus, 'AppError.status_code matches the HTTP status');
    assert.ok(caught.message, 'the AppError message is non-empty (Content-Type must be exactly application/json)');
    assert.ok(
        caught.message.includes(EXPECT_MESSAGE),
        `message ${JSON.stringify(caught.message)} must contain ${JSON.stringify(EXPECT_MESSAGE)}`,
    );
    if (EXPECT_ERROR_ID) {
        assert.equal(caught.server_error_id, EXPECT_ERROR_ID);
    }
    for (const text of [caught.message, caught.detailed_error || '', caught.server_error_id || '']) {
        assert.ok(!containsIdentifier(text), 'the refusal must not echo the identifier');
    }
    if (SIMULATOR_URL) {
        const fresh = (await simRecords()).slice(before);
        const leaked = fresh.filter((r) => containsIdentifier(recordText(r)));
        assert.deepEqual(
            leaked.map((r) => `${r.method} ${r.path}`),
            [],
            'the identifier must never reach the upstream',
        );
    }
}

describe(`@mattermost/client contract (${MODE}) against ${BASE_URL}`, () => {
    let me;

    before(async () => {
        me = await client.getMe();
        assert.ok(me.id, 'getMe works (GET passes through)');
    });

    test('createPost', async () => {
        const message = content('createPost');
        await exercise({
            upstreamPath: '/api/v4/posts',
            call: () => client.createPost({channel_id: CHANNEL_ID, message, pending_post_id: `${me.id}:${Date.now()}`}),
            checkClean: async (post) => {
                assert.equal(post.message, message);
                assert.equal(post.user_id, me.id);
                assert.equal(post.channel_id, CHANNEL_ID);
                assert.equal((await client.getPost(post.id)).message, message);
            },
        });
    });

    test('patchPost', async () => {
        const post = await cleanPost('patchPost');
        const message = content('patchPost');
        await exercise({
            upstreamPath: `/api/v4/posts/${post.id}/patch`,
            call: () => client.patchPost({id: post.id, message}),
            checkClean: async (patched) => {
                assert.equal(patched.id, post.id);
                assert.equal(patched.message, message);
                assert.ok(patched.edit_at > 0);
            },
        });
        if (STOP) {
            assert.equal((await client.getPost(post.id)).message, post.message, 'the stored post is unchanged');
        }
    });

    test('updatePost', async () => {
        const post = await cleanPost('updatePost');
        const message = content('updatePost');
        await exercise({
            upstreamPath: `/api/v4/posts/${post.id}`,
            call: () => client.updatePost({...post, message}),
            checkClean: async (updated) => {
                assert.equal(updated.id, post.id);
                assert.equal(updated.message, message);
            },
        });
        if (STOP) {
            assert.equal((await client.getPost(post.id)).message, post.message, 'the stored post is unchanged');
        }
    });

    test('createScheduledPost', async () => {
        const message = content('createScheduledPost');
        const scheduled = {
            channel_id: CHANNEL_ID,
            root_id: '',
            message,
            user_id: me.id,
            scheduled_at: Date.now() + (24 * 3600 * 1000),
        };
        await exercise({
            upstreamPath: '/api/v4/posts/schedule',
            call: () => client.createScheduledPost(scheduled, connectionId),
            checkClean: async ({response, data}) => {
                assert.equal(response.status, 201);
                assert.ok(data.id);
                assert.equal(data.message, message);
                assert.equal(data.scheduled_at, scheduled.scheduled_at);
            },
        });
    });

    test('upsertDraft', async () => {
        const message = content('upsertDraft');
        await exercise({
            upstreamPath: '/api/v4/drafts',
            call: () => client.upsertDraft({
                channel_id: CHANNEL_ID,
                root_id: '',
                message,
                user_id: me.id,
                create_at: 0,
                update_at: 0,
                delete_at: 0,
                file_ids: [],
                props: {},
            }, connectionId),
            checkClean: async (draft) => {
                assert.equal(draft.message, message);
                assert.equal(draft.channel_id, CHANNEL_ID);
                assert.equal(draft.user_id, me.id);
            },
        });
    });

    test('patchChannel', async () => {
        const header = content('patchChannel');
        const before = await client.getChannel(CHANNEL_ID);
        await exercise({
            upstreamPath: `/api/v4/channels/${CHANNEL_ID}/patch`,
            call: () => client.patchChannel(CHANNEL_ID, {header}),
            checkClean: async (channel) => {
                assert.equal(channel.id, CHANNEL_ID);
                assert.equal(channel.header, header);
            },
        });
        if (STOP) {
            assert.equal((await client.getChannel(CHANNEL_ID)).header, before.header, 'the channel header is unchanged');
        }
    });

    test('executeCommand', async () => {
        const text = content('executeCommand');
        await exercise({
            upstreamPath: '/api/v4/commands/execute',
            call: () => client.executeCommand(`/echo ${text}`, {channel_id: CHANNEL_ID, team_id: TEAM_ID, root_id: ''}),
            checkClean: async (response) => {
                assert.ok('response_type' in response, 'a CommandResponse');
            },
        });
    });

    test('uploadFile (multipart FormData)', async () => {
        const text = content('uploadFile');
        const clientId = `upload-${Date.now()}`;
        const makeForm = () => {
            const form = new FormData();
            form.append('channel_id', CHANNEL_ID);
            form.append('client_ids', clientId);
            form.append('files', new Blob([`${text}\n`], {type: 'text/plain'}), 'notes.txt');
            return form;
        };
        await exercise({
            upstreamPath: '/api/v4/files',
            call: () => client.uploadFile(makeForm()),
            checkClean: async (result) => {
                assert.deepEqual(result.client_ids, [clientId]);
                assert.equal(result.file_infos.length, 1);
                assert.equal(result.file_infos[0].name, 'notes.txt');
                assert.equal(result.file_infos[0].size, Buffer.byteLength(`${text}\n`));
                assert.equal(result.file_infos[0].channel_id, CHANNEL_ID);
            },
        });
    });
});
