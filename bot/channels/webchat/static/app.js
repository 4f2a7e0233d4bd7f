// Showcase Bot page: fetch the config and a Direct Line token from the bot, render Web Chat.
(function () {
  'use strict';

  const statusLine = document.getElementById('status');
  const picker = document.getElementById('language');
  const params = new URLSearchParams(window.location.search);
  const useWebSocket = params.get('transport') !== 'polling';

  function setStatus(text, isError) {
    statusLine.textContent = text;
    statusLine.classList.toggle('error', Boolean(isError));
  }

  function loadScript(url) {
    return new Promise(function (resolve, reject) {
      const script = document.createElement('script');
      script.src = url;
      script.onload = resolve;
      script.onerror = function () { reject(new Error('could not load ' + url)); };
      document.head.appendChild(script);
    });
  }

  async function postJson(url) {
    const response = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' } });
    if (!response.ok) {
      // The bot answers refusals with a JSON reason ({"error": "..."} or {"error": {"message": "..."}}).
      let reason = '';
      try {
        const body = await response.json();
        reason = typeof body.error === 'string' ? body.error : (body.error && body.error.message) || '';
      } catch (e) { reason = ''; }
      throw new Error(url + ' answered ' + response.status + (reason ? ': ' + reason : ''));
    }
    return response.json();
  }

  function fillLanguages(codes) {
    let names = null;
    try { names = new Intl.DisplayNames([navigator.language || 'en'], { type: 'language' }); } catch (e) { names = null; }
    codes.forEach(function (code) {
      const option = document.createElement('option');
      option.value = code;
      option.textContent = names ? names.of(code) + ' (' + code + ')' : code;
      picker.appendChild(option);
    });
  }

  async function start() {
    const config = await (await fetch('/api/webchat/config')).json();
    fillLanguages(config.languages || []);
    await loadScript(config.webchatUrl);
    const grant = await postJson('/api/directline/token');
    const directLine = window.WebChat.createDirectLine({
      token: grant.token, domain: grant.domain, webSocket: useWebSocket
    });
    const store = window.WebChat.createStore();
    let locale = navigator.language || 'en-US';

    function render() {
      window.WebChat.renderWebChat({
        directLine: directLine,
        store: store,
        locale: locale,
        styleOptions: { botAvatarInitials: 'SB', userAvatarInitials: 'You', hideUploadButton: false,
                        bubbleBorderRadius: 8, bubbleFromUserBorderRadius: 8 }
      }, document.getElementById('webchat'));
    }

    picker.addEventListener('change', function () {
      const code = picker.value;
      if (!code) { return; }
      locale = code;
      render();
      // Explicit choice: the bot treats this event as the user's language and it wins over detection.
      store.dispatch({ type: 'WEB_CHAT/SEND_EVENT', payload: { name: 'setLanguage', value: code } });
    });

    directLine.connectionStatus$.subscribe(function (status) {
      // 2 = Online (botframework-directlinejs ConnectionStatus).
      if (status === 2) {
        setStatus('Connected (' + (config.mode === 'azure' ? 'Azure Direct Line' : 'local Direct Line') +
                  ', ' + (useWebSocket ? 'WebSocket' : 'polling') + ').');
      } else if (status >= 3) {
        setStatus('Connection problem: reload the page to try again.', true);
      }
    });
    render();
    document.body.dataset.transport = useWebSocket ? 'websocket' : 'polling';
  }

  start().catch(function (error) {
    setStatus('Could not start the chat: ' + error.message, true);
  });
}());
