// The frame's side of the conversation with the loader on the host page.
// Messages go only to the host's origin and are taken only from it, and only
// from the window that framed this one (the page views of R-VIS-1 among them:
// app.js checks their shape).

export function bridge(hostOrigin, onCommand) {
  const parentWindow = window.parent !== window ? window.parent : null;
  const ancestors = window.location.ancestorOrigins;
  // Where the browser says who framed us, it must agree with what the URL says.
  const trusted = parentWindow && hostOrigin &&
    (!ancestors || !ancestors.length || ancestors[0] === hostOrigin);
  window.addEventListener('message', (event) => {
    if (!trusted || event.origin !== hostOrigin || event.source !== parentWindow) return;
    const data = event.data;
    if (data && data.helpdesk === 1 && typeof data.type === 'string') onCommand(data);
  });
  return {
    post(type, fields = {}) {
      if (trusted) parentWindow.postMessage({ helpdesk: 1, type, ...fields }, hostOrigin);
    },
  };
}
