// Upload one file with the official client's uploadFile (multipart FormData, as the
// web app does) and print the outcome as one JSON line:
//   {"ok": true, "file_infos": [...]}  or  {"ok": false, "status_code", "server_error_id", "message"}
// Usage: BASE_URL=... MM_TOKEN=... CHANNEL_ID=... node upload_file.mjs PATH NAME
import {readFileSync} from 'node:fs';

import mm from '@mattermost/client';

const {Client4, ClientError} = mm;
const [path, name] = process.argv.slice(2);
const client = new Client4();
client.setUrl(process.env.BASE_URL);
client.setToken(process.env.MM_TOKEN);

const form = new FormData();
form.append('channel_id', process.env.CHANNEL_ID);
form.append('client_ids', 'c1');
form.append('files', new Blob([readFileSync(path)]), name);
try {
    const result = await client.uploadFile(form);
    console.log(JSON.stringify({ok: true, file_infos: result.file_infos}));
} catch (err) {
    if (!(err instanceof ClientError)) {
        console.log(JSON.stringify({ok: false, network: true, message: String(err)}));
    } else {
        console.log(JSON.stringify({ok: false, status_code: err.status_code, server_error_id: err.server_error_id,
            message: err.message}));
    }
}
