// The sender's buttons as the web app runs them, with the official client
// (@mattermost/client): a click on an ephemeral post's button sends its cookie
// (doPostActionWithCookie), a dialog is submitted with submitInteractiveDialog.
// Prints one JSON line: {"ok": true, "result": ...} or {"ok": false, "status_code", "server_error_id", "message"}.
// Usage: BASE_URL=... MM_TOKEN=... node sender_actions.mjs click POST_ID ACTION_ID COOKIE
//        BASE_URL=... MM_TOKEN=... node sender_actions.mjs submit '<SubmitDialogRequest JSON>'
import mm from '@mattermost/client';

const {Client4, ClientError} = mm;
const [mode, ...args] = process.argv.slice(2);
const client = new Client4();
client.setUrl(process.env.BASE_URL);
client.setToken(process.env.MM_TOKEN);

try {
    let result;
    if (mode === 'click') {
        const [postId, actionId, cookie] = args;
        result = await client.doPostActionWithCookie(postId, actionId, cookie);
    } else if (mode === 'submit') {
        result = await client.submitInteractiveDialog(JSON.parse(args[0]));
    } else {
        throw new Error(`unknown mode ${mode}`);
    }
    console.log(JSON.stringify({ok: true, result}));
} catch (err) {
    if (!(err instanceof ClientError)) {
        console.log(JSON.stringify({ok: false, network: true, message: String(err)}));
    } else {
        console.log(JSON.stringify({ok: false, status_code: err.status_code, server_error_id: err.server_error_id,
            message: err.message}));
    }
}
