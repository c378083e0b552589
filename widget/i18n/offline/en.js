// The offline message form, in English: the strings of offline.js, which loads
// them with itself only when the form is shown (nobody can chat and the service
// takes offline messages). Every language has the same keys and holes
// (tests/e2e/test_visitor_widget.py).

export default {
  offlineTitle: 'Leave us a message',
  offlineLead: 'We will reply by email.',
  offlineName: 'Your name',
  offlineEmail: 'Email',
  offlineCategory: 'Topic (optional)',
  offlineAgree: 'I agree to the above',
  offlineNeedName: 'Please enter your name.',
  offlineNeedText: 'Please write your message.',
  offlineNeedConsent: 'Please agree to the above.',
  offlineReceived: 'Received: #{number}',
  offlineThanks: 'Thank you! We will reply by email.',
  offlineRateLimited: 'Too many messages. Please try again in a few minutes.',
  offlineBadRequest: 'Please check your entry: {message}',
  offlineRefused: 'Messages cannot be sent from here right now.',
};
