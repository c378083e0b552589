// The demo shop's own code (a file, not inline: the demo page's CSP allows no
// inline script). It may queue commands before the widget has loaded.
window.HelpdeskChat = window.HelpdeskChat || [];
document.getElementById('demo-identify').addEventListener('click', function () {
  // A real site signs `id` on its server: hash = HMAC-SHA256(identity secret, id).
  window.HelpdeskChat.push(['identify', { id: 'demo-user-1', name: 'Hanako Yamada', email: 'hanako@example.com' }]);
});
document.getElementById('demo-open').addEventListener('click', function () {
  window.HelpdeskChat.push(['open']);
});
