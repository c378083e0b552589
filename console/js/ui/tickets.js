// "Create ticket" from a chat (R-CON-7), from the chat screen or Chat History.

import { api } from "../api.js";
import { t } from "../i18n.js";
import { formDialog } from "./dialog.js";
import { toast } from "./toast.js";

export async function createTicketFor(chat) {
  const name = chat.customer?.name || t("chat.anonymous");
  const ticket = await formDialog({
    title: t("ticket.create"),
    submitLabel: t("common.create"),
    fields: [
      { name: "subject", label: t("ticket.subject"), value: t("ticket.defaultSubject", { name }), required: true },
      { name: "body", label: t("ticket.body"), type: "textarea", value: "" },
    ],
    submit: (values) => api.createTicket(chat.chat_id, { subject: values.subject.trim(), body: values.body }),
  });
  if (ticket && ticket.ticket_id) {
    toast(t("ticket.created"), {
      kind: "success",
      timeout: 10000,
      action: { label: t("ticket.open"), run: () => { location.hash = `#/tickets/${encodeURIComponent(ticket.ticket_id)}`; } },
    });
  }
  return ticket;
}
