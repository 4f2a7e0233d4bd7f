// Drives the bot's local Direct Line endpoint with the official botframework-directlinejs client
// over WebSocket, then proves a second conversation's token cannot read the first conversation.
//
// Usage: node directline_conversation.js BASE_URL SPANISH_TEXT ANALYZE_TEXT
// Prints one JSON object on stdout (what each conversation saw); exits non-zero on failure.
'use strict';

global.XMLHttpRequest = require('xhr2');
global.WebSocket = require('ws');
const { DirectLine, ConnectionStatus } = require('botframework-directlinejs');

const [baseUrl, spanishText, analyzeText] = process.argv.slice(2);
const STEP_TIMEOUT_MS = 30000;

async function grant() {
  const response = await fetch(`${baseUrl}/api/directline/token`, { method: 'POST' });
  if (!response.ok) throw new Error(`token route answered ${response.status}`);
  return response.json();
}

function summary(activity) {
  return { id: activity.id, type: activity.type, role: activity.from && activity.from.role,
           replyToId: activity.replyToId, text: (activity.text || '').slice(0, 80) };
}

function collect(directLine) {
  const seen = [];
  const waiters = [];
  directLine.activity$.subscribe(
    (activity) => {
      seen.push(activity);
      for (const waiter of waiters.splice(0)) waiter();
    },
    (error) => { seen.error = String(error); }
  );
  const waitFor = (predicate, what) => new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(
      `timed out waiting for ${what}; seen: ${JSON.stringify(seen.map(summary))}`)), STEP_TIMEOUT_MS);
    const check = () => {
      const found = seen.find(predicate);
      if (found) { clearTimeout(timer); resolve(found); } else { waiters.push(check); }
    };
    check();
  });
  // botbuilder leaves replyToId out on the webchat channel, so "a reply" is the next bot activity
  // that arrives after the user's own (echoed) activity.
  const waitAfter = (activityId, predicate, what) => waitFor(
    (a) => {
      const index = seen.findIndex((b) => b.id === activityId);
      return index >= 0 && seen.indexOf(a) > index && predicate(a);
    }, what);
  return { seen, waitFor, waitAfter };
}

function waitOnline(directLine) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('never came online')), STEP_TIMEOUT_MS);
    directLine.connectionStatus$.subscribe((status) => {
      if (status === ConnectionStatus.Online) { clearTimeout(timer); resolve(); }
      if (status === ConnectionStatus.FailedToConnect || status === ConnectionStatus.ExpiredToken) {
        clearTimeout(timer); reject(new Error(`connection status ${status}`));
      }
    });
  });
}

function post(directLine, activity) {
  return new Promise((resolve, reject) => {
    directLine.postActivity(activity).subscribe(resolve, reject);
  });
}

const fromBot = (activity) => activity.from && activity.from.role === 'bot';

async function conversationA() {
  const { token, domain, conversationId } = await grant();
  const directLine = new DirectLine({ token, domain, webSocket: true });
  const { seen, waitFor, waitAfter } = collect(directLine);
  await waitOnline(directLine);
  const welcome = await waitFor((a) => fromBot(a) && a.type === 'message', 'the welcome');
  const user = { id: 'node-user', name: 'Node' };
  const spanishId = await post(directLine, { type: 'message', from: user, text: spanishText, locale: 'es-ES' });
  const spanishReply = await waitAfter(
    spanishId, (a) => fromBot(a) && a.type === 'message', 'a reply to the Spanish message');
  const analyzeId = await post(directLine, { type: 'message', from: user, text: analyzeText, locale: 'en-US' });
  const card = await waitAfter(
    analyzeId, (a) => fromBot(a) && (a.attachments || []).some(
      (att) => att.contentType === 'application/vnd.adaptive.card' ||
               att.contentType === 'application/vnd.microsoft.card.adaptive'),
    'an Adaptive Card');
  directLine.end();
  return { token, domain, conversationId, welcome, spanishId, spanishReply, card, seen };
}

async function conversationB(first) {
  const { token, domain, conversationId } = await grant();
  const auth = { Authorization: `Bearer ${token}` };
  const foreign = `${first.domain}/conversations/${encodeURIComponent(first.conversationId)}`;
  const readOther = await fetch(`${foreign}/activities`, { headers: auth });
  const postOther = await fetch(`${foreign}/activities`, {
    method: 'POST', headers: { ...auth, 'Content-Type': 'application/json' },
    body: JSON.stringify({ type: 'message', text: 'let me in' }) });
  const streamOther = await new Promise((resolve) => {
    const url = `${first.domain.replace(/^http/, 'ws')}/conversations/${encodeURIComponent(first.conversationId)}` +
      `/stream?t=${encodeURIComponent(token)}`;
    const socket = new WebSocket(url);
    socket.on('open', () => { socket.close(); resolve('opened'); });
    socket.on('unexpected-response', (request, response) => resolve(response.statusCode));
    socket.on('error', (error) => resolve(`error: ${error.message}`));
  });
  const directLine = new DirectLine({ token, domain, webSocket: true });
  const { seen, waitFor } = collect(directLine);
  await waitOnline(directLine);
  await waitFor((a) => fromBot(a) && a.type === 'message', 'the second welcome');
  directLine.end();
  return {
    conversationId,
    readOtherStatus: readOther.status,
    postOtherStatus: postOther.status,
    streamOther,
    seen,
  };
}

(async () => {
  const first = await conversationA();
  const second = await conversationB(first);
  const { token, ...reportable } = first;
  process.stdout.write(JSON.stringify({ first: reportable, second }) + '\n');
  process.exit(0);
})().catch((error) => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exit(1);
});
