// Attaching a file, in English: the strings of attach.js, which loads them with
// itself the first time a file is attached (so the chat opens without them).
// Every language has the same keys and holes (tests/e2e/test_attachments_widget.py).
// {name} is the file's name, {kind} its type ("PNG"), {types} the types the
// service takes, {max} its size limit ("10 MB").

export default {
  uploading: 'Uploading {name}',
  cancelUpload: 'Cancel sending {name}',
  remove: 'Remove {name}',
  type: '{name}: this type of file cannot be sent. You can send {types}.',
  notType: '{name} was not sent: it is not really a {kind} file.',
  size: '{name} is too big to send: files can be up to {max}.',
  empty: '{name} is empty, so it was not sent.',
  again: '{name} was not sent. Please attach it again.',
  off: 'Files cannot be sent in this chat.',
  busy: 'Too many files at once. Please wait a moment, then attach it again.',
  network: '{name} could not be uploaded: the connection failed. Please try again.',
  failed: '{name} could not be uploaded. Please try again.',
};
