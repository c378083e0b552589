// When nobody can chat, in English: the strings of away.js (the absent popup,
// the closed view with the opening times), which loads them with itself only
// when one of them is shown (so the chat opens without them). Every language
// has the same keys and holes (tests/e2e/test_visitor_widget.py).

export default {
  absentTitle: 'No operator available',
  absentBody: 'All our operators are away right now. Please send us your question ' +
    'through the inquiry form and we will get back to you.',
  absentNoForm: 'All our operators are away right now. Please try again later.',
  absentForm: 'Please send us your question through the inquiry form and we will get back to you.',
  absentLater: 'Please try again later.',
  inquiry: 'Go to the inquiry form',
  checkAgain: 'Check again',
  busyTitle: 'All our operators are busy',
  busyBody: 'Too many customers are waiting right now, so a new chat cannot start. ' +
    'Please send us your question through the inquiry form and we will get back to you.',
  busyNoForm: 'Too many customers are waiting right now, so a new chat cannot start. ' +
    'Please try again in a few minutes.',
  tooManyTitle: 'Chat could not start',
  tooManyBody: 'Too many chats are already open from your connection. Please finish an ' +
    'open chat first, or send us your question through the inquiry form.',
  tooManyNoForm: 'Too many chats are already open from your connection. Please finish an ' +
    'open chat first, then try again.',
  closedTitle: 'Outside business hours',
  hoursTitle: 'Business hours ({zone})',
  hoursClosed: 'Closed',
  hoursHolidays: 'Closed on public holidays ({country}).',
  hoursClosedOn: 'Also closed: {dates}.',
  hoursYearly: '{date} (every year)',
  nextOpen: 'Next open: {when} ({zone})',
};
