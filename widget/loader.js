/* Help-desk chat loader: the one <script> a site pastes.
 *
 * It draws only the launcher button (in a Shadow DOM, so the page's CSS cannot
 * reach it) and, when the chat is first opened, an iframe with the chat UI,
 * served by the API (`<data-api>/widget/<key>/frame`), so it runs on the API's
 * origin under the service's own Content-Security-Policy. Nothing here needs
 * 'unsafe-inline' on the host page: styles go in as constructable stylesheets
 * and through the CSSOM. The page talks to it through a command queue that
 * works before and after this script has loaded:
 *
 *   window.HelpdeskChat = window.HelpdeskChat || [];
 *   HelpdeskChat.push(['identify', {id, name, email, hash}]);
 *   HelpdeskChat.push(['open']);   // also: 'close', 'toggle', 'language', 'reset'
 *
 * While a chat is open it tells the frame which page the customer is on (on
 * load and on a single-page app's navigation; see "Visitor context" below).
 * Loading it twice does nothing the second time. See docs/widget.md.
 */
(function (win, doc) {
  'use strict';
  var NAME = 'HelpdeskChat';
  var queued = win[NAME];
  if (queued && queued.loaded) return;

  var script = doc.currentScript || doc.querySelector('script[data-widget-key]');
  var key = script && script.getAttribute('data-widget-key');
  if (!key) return;
  var src = new URL(script.src, location.href);
  var api = new URL(script.getAttribute('data-api') || '/api', src).href.replace(/\/+$/, '');
  var frameUrl = new URL(api + '/widget/' + encodeURIComponent(key) + '/frame');
  var frameOrigin = frameUrl.origin; // the only origin messages go to and come from

  // The launcher's own name is the only text the loader shows before the
  // chat UI (and its string tables in i18n.js) is loaded; the frame replaces
  // it with its own strings once it runs.
  var LABELS = { en: 'Chat with us', ja: 'チャットで問い合わせる', ko: '채팅 문의' };
  var STATE_KEY = 'helpdesk-chat:' + key;

  var commands = [];
  var wantOpen = false;
  var launcher, badge, frame, frameReady = false, isOpen = false;
  var lang = null, page = '';
  var chatting = false, referrer = '', lastPage = '', lastAt = 0, pageTimer = 0;

  win[NAME] = { loaded: true, push: run };
  if (Array.isArray(queued)) queued.forEach(run);

  function run(command) {
    if (!Array.isArray(command)) return;
    var name = command[0], arg = command[1];
    if (name === 'open') return launcher ? show(true) : (wantOpen = true);
    if (name === 'close') return show(false);
    if (name === 'toggle') return show(!isOpen);
    if (name === 'identify' || name === 'language' || name === 'reset') {
      commands.push({ type: name, value: arg === undefined ? null : arg });
      if (frameReady) send(commands[commands.length - 1]);
    }
  }

  // Visitor context (R-VIS-1): while a chat is open (the frame says `chatting`),
  // the page's address without its fragment, its title (200 characters at
  // most) and, on a chat's first report, the referrer go to the frame: on load,
  // on history.pushState/replaceState and on popstate (a single-page app's
  // navigation), at most one report a second (the latest wins) and none when
  // nothing changed. The frame sends them on as `page.view`; the server drops
  // the query string unless the service keeps it.
  function pageView() {
    if (!chatting || pageTimer) return;
    pageTimer = setTimeout(function () {
      pageTimer = 0;
      var url = location.href.split('#')[0], title = String(doc.title).slice(0, 200);
      if (!chatting || url + '\n' + title === lastPage) return;
      lastPage = url + '\n' + title;
      lastAt = Date.now();
      send({ type: 'page', url: url, title: title, referrer: referrer || undefined });
      referrer = '';
    }, Math.max(250, lastAt + 1200 - Date.now()));
  }
  function watchPages() { // once the launcher is drawn (not where chat is off)
    ['pushState', 'replaceState'].forEach(function (name) {
      var original = history[name];
      if (typeof original !== 'function') return;
      history[name] = function () {
        var result = original.apply(this, arguments);
        pageView();
        return result;
      };
    });
    win.addEventListener('popstate', pageView);
  }

  function primary(tag) { return String(tag || '').split('-')[0].toLowerCase(); }

  function remembered() {
    try { return JSON.parse(sessionStorage.getItem(STATE_KEY)) || {}; } catch (e) { return {}; }
  }
  function remember(state) {
    try { sessionStorage.setItem(STATE_KEY, JSON.stringify(state)); } catch (e) { /* private mode */ }
  }

  fetch(api + '/widget/' + encodeURIComponent(key) + '/config')
    .then(function (r) { return r.ok ? r.json() : null; })
    .then(function (config) {
      if (!config || !config.enabled) return;
      // The page's language, then the browser's, then the service's default
      // (only those the service offers); the frame decides the same way.
      page = primary(doc.documentElement.lang);
      var languages = config.languages || [];
      lang = [page].concat([].map.call(navigator.languages || [], primary))
        .filter(function (code) { return languages.indexOf(code) >= 0; })[0] ||
        config.default_language;
      draw();
      var state = remembered();
      if (wantOpen || state.open) show(true);
      else if (state.chatting) ensureFrame();
    })
    .catch(function () { /* no config, no chat: the page stays as it was */ });

  function draw() {
    var host = doc.createElement('helpdesk-chat');
    // Inline and !important: the page's own rules, however broad, lose to it.
    // Set through the CSSOM, which a page's CSP without 'unsafe-inline' allows.
    host.style.cssText = 'all:initial!important;display:block!important';
    var root = host.attachShadow({ mode: 'open' });
    var css =
      ':host{all:initial}' +
      '.launch{position:fixed;right:20px;bottom:20px;z-index:2147483000;width:60px;height:60px;' +
      'border:0;border-radius:50%;padding:0;margin:0;cursor:pointer;color:#fff;' +
      'background:linear-gradient(135deg,#3b82f6,#1d4ed8);display:grid;place-items:center;' +
      'box-shadow:0 6px 20px rgba(29,78,216,.35),0 2px 6px rgba(0,0,0,.15);transition:transform .15s}' +
      '.launch:hover{transform:scale(1.06)}' +
      '.launch:focus-visible{outline:3px solid #1d4ed8;outline-offset:3px}' +
      '.launch svg{width:28px;height:28px;fill:currentColor}' +
      '.badge{position:absolute;top:-2px;right:-2px;min-width:20px;height:20px;padding:0 5px;' +
      'box-sizing:border-box;border-radius:10px;background:#ef4444;color:#fff;' +
      'font:700 12px/20px system-ui,sans-serif;text-align:center}' +
      '.badge[hidden],iframe[hidden]{display:none}' +
      'iframe{position:fixed;right:20px;bottom:92px;z-index:2147483000;width:380px;' +
      'height:min(620px,calc(100vh - 112px));max-width:calc(100vw - 40px);border:0;' +
      'border-radius:16px;background:#fff;color-scheme:light;' +
      'box-shadow:0 12px 48px rgba(15,23,42,.22),0 2px 8px rgba(15,23,42,.08)}' +
      // A phone, upright or on its side: the chat fills the screen.
      '@media (max-width:480px),(max-height:500px){iframe{right:0;bottom:0;width:100vw;max-width:100vw;' +
      'height:100%;border-radius:0}.open .launch{display:none}}';
    var wrap = doc.createElement('div');
    launcher = doc.createElement('button');
    launcher.type = 'button';
    launcher.className = 'launch';
    launcher.setAttribute('aria-label', LABELS[lang] || LABELS.en);
    launcher.setAttribute('aria-expanded', 'false');
    launcher.setAttribute('aria-haspopup', 'dialog');
    launcher.appendChild(icon(CHAT));
    badge = doc.createElement('span');
    badge.className = 'badge';
    badge.hidden = true;
    launcher.appendChild(badge);
    launcher.addEventListener('click', function () { show(!isOpen); });
    wrap.appendChild(launcher);
    adopt(root, css);
    root.appendChild(wrap);
    (doc.body || doc.documentElement).appendChild(host);
    win.addEventListener('message', receive);
    watchPages();
  }

  // A constructable stylesheet needs no 'unsafe-inline' in the page's CSP; a
  // <style> element (older browsers) does.
  function adopt(root, css) {
    try {
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(css);
      if (!('adoptedStyleSheets' in root)) throw root;
      root.adoptedStyleSheets = [sheet];
    } catch (e) {
      var style = doc.createElement('style');
      style.textContent = css;
      root.appendChild(style);
    }
  }

  var CHAT = 'M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H8.5L4 21.5V18a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z';
  var CLOSE = 'M6.4 5 12 10.6 17.6 5 19 6.4 13.4 12l5.6 5.6-1.4 1.4L12 13.4 6.4 19 5 17.6 10.6 12 5 6.4z';
  function icon(path) {
    var ns = 'http://www.w3.org/2000/svg';
    var svg = doc.createElementNS(ns, 'svg');
    svg.setAttribute('viewBox', '0 0 24 24');
    svg.setAttribute('aria-hidden', 'true');
    var p = doc.createElementNS(ns, 'path');
    p.setAttribute('d', path);
    svg.appendChild(p);
    return svg;
  }

  function ensureFrame() {
    if (frame) return;
    frame = doc.createElement('iframe');
    frame.hidden = true;
    frame.title = LABELS[lang] || LABELS.en;
    frameUrl.search = new URLSearchParams({
      lang: page, host: location.origin, page: location.origin + location.pathname
    }).toString();
    frame.src = frameUrl.href;
    launcher.parentNode.insertBefore(frame, launcher);
  }

  function show(open) {
    if (!launcher) { wantOpen = open; return; }
    if (open === isOpen && (frame || !open)) return;
    ensureFrame();
    isOpen = open;
    frame.hidden = !open;
    launcher.parentNode.className = open ? 'open' : '';
    launcher.setAttribute('aria-expanded', String(open));
    launcher.replaceChild(icon(open ? CLOSE : CHAT), launcher.firstChild);
    if (open) badge.hidden = true;
    send({ type: open ? 'opened' : 'closed' });
    var state = remembered();
    state.open = open;
    remember(state);
    if (open) frame.focus();
    else if (doc.activeElement && doc.activeElement.tagName === 'HELPDESK-CHAT') launcher.focus();
  }

  // Everything to the frame names its origin; everything from it is checked.
  // Before the frame says it is ready nothing is sent: on `ready` it gets the
  // current state and every command so far, in order.
  function send(message) {
    if (!frameReady) return;
    message.helpdesk = 1;
    frame.contentWindow.postMessage(message, frameOrigin);
  }

  function receive(event) {
    var data = event.data;
    if (event.origin !== frameOrigin || !frame || event.source !== frame.contentWindow ||
        !data || data.helpdesk !== 1) return;
    if (data.type === 'ready') {
      frameReady = true;
      commands.forEach(send);
      send({ type: isOpen ? 'opened' : 'closed' }); // last: the frame then knows it has all
    } else if (data.type === 'close') {
      show(false);
      launcher.focus();
    } else if (data.type === 'label' && typeof data.text === 'string') {
      launcher.setAttribute('aria-label', data.text);
      frame.title = data.text;
    } else if (data.type === 'size' && typeof data.height === 'number') {
      frame.style.height = data.height ? 'min(' + Math.ceil(data.height) + 'px,calc(100vh - 112px))' : '';
    } else if (data.type === 'unread') {
      var count = Math.max(0, Math.min(99, data.count | 0));
      badge.textContent = String(count);
      badge.hidden = !count || isOpen;
    } else if (data.type === 'chatting') {
      var state = remembered();
      // A chat that starts here reports where the customer came from, once.
      if (data.value && !state.chatting) referrer = doc.referrer;
      chatting = state.chatting = !!data.value;
      lastPage = ''; // (re)started: the page is reported again
      remember(state);
      pageView();
    } else if (data.type === 'disabled') {
      launcher.parentNode.parentNode.host.remove();
    }
  }
})(window, document);
