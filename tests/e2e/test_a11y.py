"""Made for the people who use it (R-A11Y-1, R-WID-9): every screen of the widget
and of the console, in Japanese and in English, with axe-core in Chromium (no
serious or critical violation; one main landmark, an h1, headings in order);
focus rings that can be seen (3:1 against what is behind them); the rating
chosen by keyboard and shown by shape and words, not colour alone; touch targets
of 44 px and 16 px fields on a phone, upright and on its side; Chat History that
fits 1280 px whatever the names in it.

The Japanese run writes docs/screenshots/widget-*-ja.png and console-*-ja.png."""

from __future__ import annotations

import contextlib
import queue
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Frame, Page, expect

from tests.e2e import axe
from tests.e2e.conftest import LocalStack
from tests.e2e.console_helpers import VIEWPORT, Customer, shoot
from tests.e2e.operator_client import ADMIN_EMAIL, DEMO_PASSWORD, DEMO_SERVICE, Operator
from tests.e2e.operator_client import settle as settle_floor
from tests.e2e.widget_page import Widget, refuse

pytestmark = pytest.mark.e2e

LANGUAGES = ["en", "ja"]
LOCALES = {"en": "en-US", "ja": "ja-JP"}
PORTRAIT = {"width": 375, "height": 667}
LANDSCAPE = {"width": 667, "height": 375}
MIN_TARGET = 44  # px, R-A11Y-1
MIN_FIELD_FONT = 16  # px: below it phones zoom into a field that gets the focus
MIN_RING = 3.0  # a focus ring against what is behind it (WCAG 1.4.11)

# What the customer and the operator say, per language.
WORDS = {
    "en": {"name": "Hanako Yamada", "question": "My order has not arrived.",
           "answer": "Sorry to hear that. Let me check the shipment.",
           "ended": "This chat has ended.", "thanks": "Thank you for your rating!"},
    "ja": {"name": "山田 花子", "question": "注文した商品がまだ届きません。",
           "answer": "ご不便をおかけして申し訳ございません。確認いたします。",
           "ended": "チャットは終了しました。", "thanks": "評価いただきありがとうございました。"},
}

# The focused element's ring (only within `within`, when given: the host page's
# own links are not ours): its outline (a visually hidden control's shows on its
# label), and its contrast against the colours behind it (a gradient gives each
# of its colours; translucent layers are composited over what is beneath).
FOCUS_RING = r"""(within) => {
  const parse = (c) => {
    const m = /rgba?\(([^)]+)\)/.exec(c || '');
    if (!m) return null;
    const p = m[1].split(/[\s,/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const channel = (v) => {
    v /= 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  };
  const lum = (c) => 0.2126 * channel(c[0]) + 0.7152 * channel(c[1]) + 0.0722 * channel(c[2]);
  const ratio = (a, b) => {
    const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
    return (hi + 0.05) / (lo + 0.05);
  };
  const over = (top, under) =>
    [0, 1, 2].map((i) => top[i] * top[3] + under[i] * (1 - top[3])).concat(1);
  const up = (node) =>
    node.parentElement || (node.getRootNode() && node.getRootNode().host) || null;
  const behind = (el) => {
    const layers = [];
    for (let node = el; node && node.nodeType === 1; node = up(node)) {
      const style = getComputedStyle(node);
      const stops = (style.backgroundImage.match(/rgba?\([^)]+\)/g) || []).map(parse);
      if (stops.length) {
        return stops.map((stop) => layers.reduceRight((acc, layer) => over(layer, acc),
          over(stop, [255, 255, 255, 1])));
      }
      const color = parse(style.backgroundColor);
      if (color && color[3] > 0) {
        layers.push(color);
        if (color[3] >= 1) break;
      }
    }
    return [layers.reduceRight((acc, layer) => over(layer, acc), [255, 255, 255, 1])];
  };
  let el = document.activeElement;
  if (within && !(el && el.closest && el.closest(within))) return null;
  while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
  if (!el || el === document.body || el.tagName === 'IFRAME') return null;
  // The focus is in the browser's own part of a control (a date field's calendar
  // button), which has a ring of its own, styled by the page's CSS but not readable here.
  if (!el.matches(':focus')) return null;
  const box = el.getBoundingClientRect();
  if ((box.width <= 2 || box.height <= 2) && el.labels && el.labels.length) el = el.labels[0];
  const classes = typeof el.className === 'string' && el.className.trim()
    ? '.' + el.className.trim().split(/\s+/).join('.') : '';
  const label = (el.getAttribute('aria-label') || el.textContent || '').trim().slice(0, 30);
  const name = `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}${classes} "${label}"`;
  const style = getComputedStyle(el);
  const width = parseFloat(style.outlineWidth) || 0;
  if (style.outlineStyle === 'none' || style.outlineStyle === 'auto' || width < 2) {
    return { name, ring: `${style.outlineStyle} ${style.outlineWidth}`, ratio: 0 };
  }
  const ring = parse(style.outlineColor);
  const inside = parseFloat(style.outlineOffset) + width <= 0;
  const backs = behind(inside ? el : (up(el) || el));
  const ratios = backs.map((back) => ratio(over(ring, back), back));
  return { name, ring: style.outlineColor, ratio: Math.round(Math.min(...ratios) * 100) / 100 };
}"""

# Animations and transitions that end (a toast fading in) have ended: axe reads
# colours as they are on screen.
SETTLED = """() => Promise.all(document.getAnimations()
    .filter((a) => a.effect && a.effect.getTiming().iterations !== Infinity)
    .map((a) => a.finished.catch(() => null)))"""

# Every visible control matching the selector: its size and font size.
TARGETS = r"""(selector) => [...document.querySelectorAll(selector)].filter((el) => {
    const box = el.getBoundingClientRect();
    return box.width > 2 && box.height > 2 && getComputedStyle(el).visibility !== 'hidden';
  }).map((el) => {
    const box = el.getBoundingClientRect();
    const label = (el.getAttribute('aria-label') || el.getAttribute('name') || el.textContent || '')
      .trim().slice(0, 30);
    return { name: `${el.tagName.toLowerCase()}.${String(el.className).split(' ')[0]} "${label}"`,
             tag: el.tagName.toLowerCase(), width: box.width, height: box.height,
             font: parseFloat(getComputedStyle(el).fontSize) };
  })"""


class Findings:
    """Everything wrong on every screen a test visits, reported together at the end."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.screens: list[str] = []

    def axe(self, where: str, target: Page | Frame, **options: Any) -> None:
        self.screens.append(where)
        target.evaluate(SETTLED)
        found = axe.run(target, **options)
        if found:
            self.problems.append(axe.report(where, found))

    def structure(self, where: str, target: Page | Frame) -> None:
        """One h1 and one main landmark on the screen."""
        h1 = target.locator("h1:visible").count()
        main = target.locator("main, [role=main]").count()
        if h1 != 1 or main != 1:
            self.problems.append(f"{where}: {h1} visible h1 and {main} main landmarks (one each)")

    def focus_rings(self, where: str, page: Page, frame: Frame | None = None,
                    stops: int = 10) -> None:
        """Tab through `stops` focus stops; every one shows a ring of 3:1 or more."""
        for _ in range(stops):
            page.keyboard.press("Tab")
            self.focus_ring(where, page, frame)

    def focus_ring(self, where: str, page: Page, frame: Frame | None = None) -> None:
        """The ring of what has the focus now (in the widget: the launcher on the
        host page or a control in the chat frame; the host page's own are not ours)."""
        if frame is None:
            ring = page.evaluate(FOCUS_RING, None)
        else:
            ring = page.evaluate(FOCUS_RING, "helpdesk-chat") or frame.evaluate(FOCUS_RING, None)
        if ring is not None and ring["ratio"] < MIN_RING:
            problem = (f"{where}: focus ring of {ring['name']} is {ring['ring']}, "
                       f"{ring['ratio']}:1 against its background (at least {MIN_RING}:1)")
            if problem not in self.problems:
                self.problems.append(problem)

    def targets(self, where: str, target: Page | Frame, selector: str,
                fields: str = "input, textarea, select") -> None:
        for control in target.evaluate(TARGETS, selector):
            if control["width"] < MIN_TARGET - 0.5 or control["height"] < MIN_TARGET - 0.5:
                self.problems.append(
                    f"{where}: {control['name']} is {control['width']:.0f}x"
                    f"{control['height']:.0f} px (at least {MIN_TARGET}x{MIN_TARGET})")
        for control in target.evaluate(TARGETS, fields):
            if control["font"] < MIN_FIELD_FONT:
                self.problems.append(f"{where}: {control['name']} has a {control['font']} px "
                                     f"font (at least {MIN_FIELD_FONT} px)")

    def assert_clean(self) -> None:
        assert not self.problems, (
            f"{len(self.problems)} problem(s) on {len(self.screens)} screens:\n\n"
            + "\n\n".join(self.problems))


# --- fixtures ---------------------------------------------------------------------------


def drain(account: Operator) -> None:
    account.seen.clear()
    with contextlib.suppress(queue.Empty):
        while True:
            account.frames.get_nowait()


@pytest.fixture
def operator(admin: Operator, operator_account: Operator) -> Iterator[Operator]:
    """The demo operator, online, with a console socket and no chats; the only
    one who takes chats."""
    settle_floor(admin, operator_account, stay_online=True)
    drain(operator_account)
    yield operator_account
    operator_account.end_all_chats()
    drain(operator_account)


@pytest.fixture
def contexts(browser: Browser) -> Iterator[Callable[..., BrowserContext]]:
    """Browser contexts for these tests: the pages' CSP bypassed (axe is a script
    of the test's; tests/e2e/test_csp.py checks the policies themselves)."""
    opened: list[BrowserContext] = []

    def new(lang: str = "en", viewport: dict[str, int] | None = None,
            **options: Any) -> BrowserContext:
        context = browser.new_context(viewport=viewport or {"width": 1100, "height": 760},
                                      locale=LOCALES[lang], bypass_csp=True, **options)
        opened.append(context)
        return context

    yield new
    for context in opened:
        context.close()


# --- the widget ---------------------------------------------------------------------------


def chat_frame(widget: Widget) -> Frame:
    handle = widget.iframe.element_handle()
    frame = handle.content_frame() if handle else None
    assert frame is not None, "the chat frame is not there"
    return frame


def widget_on_demo_page(page: Page, stack: LocalStack, lang: str) -> Widget:
    """The demo shop with the widget, its language chosen through the command queue."""
    page.goto(stack.base_url + "/")
    widget = Widget(page)
    expect(widget.launcher).to_be_visible()
    page.evaluate("lang => window.HelpdeskChat.push(['language', lang])", lang)
    return widget


def widget_shot(widget: Widget, folder: Path, name: str, lang: str) -> None:
    if lang == "ja":  # the English ones come from tests/e2e/test_widget.py
        widget.shot(folder, f"{name}-ja")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_widget_screen_passes_axe_and_shows_its_focus(
    lang: str, contexts: Any, local_stack: LocalStack, admin: Operator,
    operator_account: Operator, screenshots: Path,
) -> None:
    words = WORDS[lang]
    found = Findings()
    settle_floor(admin, operator_account)  # nobody online: the absent popup first
    page = contexts(lang).new_page()
    widget = widget_on_demo_page(page, local_stack, lang)
    found.axe("launcher", page, include=["helpdesk-chat"], rules=())
    widget.launcher.focus()
    found.focus_ring("launcher", page, page.main_frame)
    assert page.evaluate(FOCUS_RING, "helpdesk-chat"), "the launcher did not take the focus"

    widget.open()
    frame = chat_frame(widget)
    expect(widget.action("consent")).to_have_count(0)
    expect(frame.locator(".absent")).to_be_visible()
    found.axe("absent", frame)
    found.structure("absent", frame)
    widget_shot(widget, screenshots, "absent", lang)

    settle_floor(admin, operator_account, stay_online=True)
    drain(operator_account)
    operator = operator_account
    try:
        frame.locator(".absent .btn.ghost").click()  # check again: someone is online now
        expect(widget.action("consent")).to_be_visible()
        found.axe("consent", frame)
        found.structure("consent", frame)
        found.focus_rings("consent", page, frame, stops=7)
        widget_shot(widget, screenshots, "consent", lang)

        operator.set_status("break")  # nobody can take it: it waits in the queue
        frame.locator("#hdc-name").fill(words["name"])
        widget.agree_and_start()
        expect(widget.status).to_have_text(re.compile("1"))
        expect(frame.locator(".log .msg.system").first).to_be_visible()  # the greeting
        found.axe("queued", frame)
        widget_shot(widget, screenshots, "queued", lang)

        operator.set_status("online")
        chat = operator.take_chat()
        expect(widget.action("rate")).to_be_visible()
        widget.say(words["question"])
        operator.wait_for("message", lambda f: f["message"]["text"] == words["question"])
        operator.say(chat["chat_id"], words["answer"])
        widget.wait_for_text(words["answer"])
        widget.settled()
        found.axe("conversation", frame)
        found.structure("conversation", frame)
        found.focus_rings("conversation", page, frame, stops=8)
        widget_shot(widget, screenshots, "conversation", lang)

        widget.action("end").click()
        expect(widget.action("confirm-end")).to_be_visible()
        found.axe("end confirmation", frame)
        frame.locator(".confirm .btn.ghost").click()

        operator.call("POST", f"/chats/{chat['chat_id']}/rating-request")
        expect(frame.locator("#hdc-rating-title")).to_be_visible()
        page.keyboard.press("Space")
        page.keyboard.press("ArrowRight")
        found.axe("rating", frame)
        found.structure("rating", frame)
        found.focus_rings("rating", page, frame, stops=5)
        widget_shot(widget, screenshots, "rating", lang)
        frame.locator(".rating .btn.ghost").click()  # back to the chat

        operator.call("POST", f"/chats/{chat['chat_id']}/end")
        expect(frame.get_by_text(words["ended"])).to_be_visible()
        found.axe("ended", frame)
        found.structure("ended", frame)
        found.focus_rings("ended", page, frame, stops=4)
        widget_shot(widget, screenshots, "ended", lang)

        widget.action("rate-ended").click()
        frame.locator("label[for=hdc-score-5]").click()
        widget.action("submit-rating").click()
        expect(frame.get_by_text(words["thanks"])).to_be_visible()
        found.axe("ended and rated", frame)
    finally:
        operator.end_all_chats()
    found.assert_clean()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_refused_start_passes_axe(
    lang: str, contexts: Any, local_stack: LocalStack, operator: Operator, screenshots: Path
) -> None:
    found = Findings()
    context = contexts(lang)
    refuse(context, local_stack.ws_url, {"chat.start": "queue_full"})
    page = context.new_page()
    widget = widget_on_demo_page(page, local_stack, lang)
    widget.open()
    widget.action("consent").click()
    frame = chat_frame(widget)
    expect(frame.locator(".absent [role=alert]")).to_be_visible()
    found.axe("queue full", frame)
    found.structure("queue full", frame)
    widget_shot(widget, screenshots, "queue-full", lang)
    found.assert_clean()


def test_the_rating_is_chosen_by_keyboard_and_shown_by_shape_and_words(
    contexts: Any, local_stack: LocalStack, operator: Operator
) -> None:
    page = contexts().new_page()
    widget = widget_on_demo_page(page, local_stack, "en")
    widget.launcher.focus()
    page.keyboard.press("Enter")
    expect(widget.action("consent")).to_be_focused()
    page.keyboard.press("Enter")
    chat = operator.take_chat()
    expect(widget.input).to_be_focused()
    expect(widget.action("rate")).to_be_visible()

    page.keyboard.press("Shift+Tab")  # the send button's place is after the box; go back up
    for _ in range(10):
        if widget.action("rate").evaluate("el => el === document.activeElement"):
            break
        page.keyboard.press("Shift+Tab")
    expect(widget.action("rate")).to_be_focused()
    page.keyboard.press("Enter")

    frame = chat_frame(widget)
    first = frame.locator("#hdc-score-1")
    expect(first).to_be_focused()
    page.keyboard.press("Space")
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    expect(frame.locator("#hdc-score-4")).to_be_checked()
    expect(frame.locator("#hdc-score-4")).to_be_focused()
    # Shown by shape (filled stars, then outlines) and in words, not by colour alone.
    expect(frame.locator(".score-text")).to_have_text("4 out of 5")
    page.wait_for_timeout(400)  # the stars' fill fades in
    fills = frame.locator(".stars label svg").evaluate_all(
        "svgs => svgs.map((svg) => getComputedStyle(svg).fill)")
    white = "rgb(255, 255, 255)"
    assert [fill != white for fill in fills] == [True, True, True, True, False], fills
    # The radio group says it too.
    assert frame.locator("#hdc-score-4").evaluate("el => el.labels[0].textContent") == "4 out of 5"

    page.keyboard.press("Tab")
    expect(frame.locator("#hdc-comment")).to_be_focused()
    page.keyboard.type("Chosen with the keyboard")
    page.keyboard.press("Tab")  # Back
    page.keyboard.press("Tab")  # Send rating
    expect(widget.action("submit-rating")).to_be_focused()
    page.keyboard.press("Enter")
    rated = operator.wait_for("chat.rated")
    assert (rated["chat_id"], rated["score"], rated["comment"]) == (
        chat["chat_id"], 4, "Chosen with the keyboard")
    expect(frame.locator(".rating-done")).to_be_visible()
    found = Findings()
    found.axe("rated", frame)
    found.structure("rated", frame)
    expect(frame.locator(".rating-done button")).to_be_focused()  # not lost with the form
    found.focus_ring("rated", page, frame)
    found.assert_clean()


@pytest.mark.parametrize("viewport", [PORTRAIT, LANDSCAPE], ids=["portrait", "landscape"])
def test_on_a_phone_targets_are_44px_fields_16px_and_the_transcript_keeps_half(
    viewport: dict[str, int], contexts: Any, local_stack: LocalStack, operator: Operator,
    screenshots: Path,
) -> None:
    found = Findings()
    context = contexts("ja", viewport, is_mobile=True, has_touch=True)
    page = context.new_page()
    widget = widget_on_demo_page(page, local_stack, "ja")
    launcher = widget.launcher.bounding_box()
    assert launcher and launcher["width"] >= MIN_TARGET and launcher["height"] >= MIN_TARGET
    widget.open()
    frame = chat_frame(widget)
    box = widget.iframe.bounding_box()
    assert box is not None and (box["width"], box["height"]) == (
        viewport["width"], viewport["height"]), f"the chat does not fill the screen: {box}"
    controls = "button, a[href], select, input:not([type=hidden]), textarea, .stars label"

    expect(widget.action("consent")).to_be_visible()
    found.targets("consent", frame, controls)

    widget.agree_and_start()
    chat = operator.take_chat()
    for n in range(4):
        operator.say(chat["chat_id"], f"{WORDS['ja']['answer']} {n}")
    widget.say(WORDS["ja"]["question"])
    widget.settled()
    found.targets("conversation", frame, controls)

    def transcript_share(where: str) -> None:
        log = frame.locator(".log").bounding_box()
        assert log is not None
        share = log["height"] / viewport["height"]
        if share < 0.5:
            found.problems.append(f"{where}: the transcript is {log['height']:.0f} px, "
                                  f"{share:.0%} of the widget's {viewport['height']} px")

    transcript_share("conversation")
    name = "portrait" if viewport is PORTRAIT else "landscape"
    widget.shot(screenshots, f"phone-{name}-ja")

    widget.action("rate").click()
    expect(frame.locator("#hdc-rating-title")).to_be_visible()
    found.targets("rating", frame, controls)
    frame.locator(".rating .btn.ghost").click()

    operator.call("POST", f"/chats/{chat['chat_id']}/end")
    expect(widget.action("restart")).to_be_visible()
    found.targets("ended", frame, controls)
    transcript_share("ended")
    found.assert_clean()


# --- the console --------------------------------------------------------------------------


CONSOLE_WORDS = {
    "en": {"sign_in": "Sign in", "connected": "Connected"},
    "ja": {"sign_in": "ログイン", "connected": "接続中"},
}


def console_sign_in(page: Page, stack: LocalStack, lang: str, email: str = ADMIN_EMAIL) -> None:
    page.goto(stack.base_url + "/console/")
    page.locator("input[name=service_id]").fill(DEMO_SERVICE)
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    page.get_by_role("button", name=CONSOLE_WORDS[lang]["sign_in"]).click()
    expect(page.get_by_test_id("connection")).to_have_text(CONSOLE_WORDS[lang]["connected"])


def console_screen(found: Findings, page: Page, where: str, *, rings: int = 8) -> None:
    found.axe(where, page)
    found.structure(where, page)
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    found.focus_rings(where, page, stops=rings)


def console_shot(page: Page, folder: Path, name: str, lang: str) -> None:
    if lang == "ja":  # the English ones come from tests/e2e/test_console.py
        shoot(page, folder, f"{name}-ja")


def visit(page: Page, stack: LocalStack, route: str) -> None:
    page.goto(f"{stack.base_url}/console/#{route}")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_console_screen_passes_axe_and_shows_its_focus(
    lang: str, contexts: Any, local_stack: LocalStack, nobody_online: None,
    customers: Any, screenshots: Path,
) -> None:
    words = WORDS[lang]
    found = Findings()
    page = contexts(lang, VIEWPORT).new_page()
    page.goto(local_stack.base_url + "/console/")
    expect(page.locator("input[name=service_id]")).to_be_visible()
    console_screen(found, page, "login")
    console_shot(page, screenshots, "login", lang)

    console_sign_in(page, local_stack, lang)
    expect(page.get_by_test_id("chat-list")).to_be_visible()
    console_screen(found, page, "chats (none open)")
    page.get_by_test_id("status").select_option("online")
    expect(page.locator(".status-dot.status-online")).to_be_visible()

    customer = customers()
    customer.start(words["name"], email="hanako@example.com")
    page.get_by_test_id("chat-list").locator(".chat-item", has_text=words["name"]).click()
    expect(page.get_by_test_id("conversation-name")).to_have_text(words["name"])
    customer.say(words["question"])
    expect(page.locator(".msg-customer .msg-text").last).to_have_text(words["question"])
    page.locator(".composer-input").fill(words["answer"])
    page.locator(".composer-input").press("Enter")
    customer.wait_for_message(words["answer"])
    console_screen(found, page, "chat", rings=14)

    page.locator("[data-action=end]").click()
    expect(page.locator("dialog.dialog")).to_be_visible()
    found.axe("end chat dialog", page)
    page.keyboard.press("Escape")
    expect(page.locator("dialog.dialog")).to_have_count(0)

    page.locator("[data-action=ticket]").click()
    dialog = page.locator("dialog.dialog")
    expect(dialog.locator("input[name=subject]")).to_be_visible()
    found.axe("create ticket dialog", page)
    dialog.locator("button[type=submit]").click()
    expect(dialog).to_have_count(0)

    visit(page, local_stack, "/tickets")
    expect(page.get_by_test_id("tickets-table").locator("tbody tr").first).to_be_visible()
    console_screen(found, page, "tickets")
    console_shot(page, screenshots, "tickets", lang)
    page.get_by_test_id("tickets-table").locator("tbody tr a").first.click()
    expect(page.locator(".dl")).to_be_visible()
    console_screen(found, page, "ticket")
    page.locator("[role=tab][data-tab=history]").click()
    expect(page.get_by_test_id("ticket-chat-history")).to_be_visible()
    found.axe("ticket's chat history", page)
    console_shot(page, screenshots, "ticket-chat-history", lang)

    visit(page, local_stack, f"/chats/{customer.chat_id}")
    page.locator("[data-action=end]").click()
    page.locator("dialog.dialog [data-confirm]").click()
    expect(page).to_have_url(re.compile(r"#/chats$"))  # ended: the console went back
    expect(page.get_by_test_id("chat-list").locator(".chat-item", has_text=words["name"])
           ).to_have_count(0)

    visit(page, local_stack, "/history")
    table = page.get_by_test_id("history-table")
    table.locator("tbody tr", has_text=words["name"]).first.click()
    expect(page.get_by_test_id("history-detail").locator(".msg-customer").first).to_be_visible()
    console_screen(found, page, "history", rings=14)
    console_shot(page, screenshots, "history", lang)

    visit(page, local_stack, "/stats")
    expect(page.get_by_test_id("stats-chart").locator("svg, p").first).to_be_visible()
    console_screen(found, page, "stats")
    console_shot(page, screenshots, "stats", lang)

    visit(page, local_stack, "/admin/settings")
    expect(page.locator("textarea[name='greeting.ja']")).to_be_visible()  # one box per language
    console_screen(found, page, "settings")
    console_shot(page, screenshots, "settings", lang)

    visit(page, local_stack, "/admin/categories")
    expect(page.get_by_test_id("category-tree").locator(".tree-node").first).to_be_visible()
    console_screen(found, page, "categories")
    console_shot(page, screenshots, "categories", lang)

    visit(page, local_stack, "/admin/operators")
    expect(page.get_by_test_id("operators-table").locator("tbody tr").first).to_be_visible()
    console_screen(found, page, "operators")
    console_shot(page, screenshots, "operators", lang)

    visit(page, local_stack, "/monitor")
    expect(page.get_by_test_id("monitor-queue-length")).not_to_have_text("—")
    console_screen(found, page, "monitor")
    console_shot(page, screenshots, "monitor", lang)
    visit(page, local_stack, "/blocks")
    expect(page.get_by_test_id("blocks-table")).to_be_attached()
    expect(page.get_by_test_id("blocks-message")).not_to_have_text(
        re.compile("Loading…|読み込み中…"))
    console_screen(found, page, "blocks")
    console_shot(page, screenshots, "blocks", lang)
    visit(page, local_stack, "/privacy")
    expect(page.get_by_test_id("privacy-form")).to_be_visible()
    console_screen(found, page, "privacy")  # its shots: tests/e2e/test_privacy_console.py
    found.assert_clean()


def test_an_operator_sees_the_admin_only_screen_with_its_heading(
    contexts: Any, local_stack: LocalStack
) -> None:
    found = Findings()
    page = contexts("en", VIEWPORT).new_page()
    console_sign_in(page, local_stack, "en", email="operator@demo.test")
    visit(page, local_stack, "/admin/settings")
    expect(page.get_by_test_id("admin-only")).to_be_visible()
    console_screen(found, page, "admin only")
    found.assert_clean()


def test_the_console_on_a_phone_has_44px_targets_and_16px_fields(
    contexts: Any, local_stack: LocalStack, nobody_online: None, screenshots: Path
) -> None:
    found = Findings()
    page = contexts("ja", PORTRAIT, is_mobile=True, has_touch=True).new_page()
    controls = ("button, .btn, select, input:not([type=hidden]):not([type=checkbox]), textarea, "
                "summary, .nav-link, .chat-icon, .brand, .check, .toggle")
    page.goto(local_stack.base_url + "/console/")
    expect(page.locator("input[name=service_id]")).to_be_visible()
    found.targets("login", page, controls)
    found.axe("login (phone)", page)

    console_sign_in(page, local_stack, "ja")
    for route in ("/chats", "/history", "/admin/settings"):
        visit(page, local_stack, route)
        expect(page.locator("h1")).to_be_visible()
        page.wait_for_load_state("networkidle")
        found.targets(route, page, controls)
        found.axe(f"{route} (phone)", page)
        width = page.evaluate("() => document.documentElement.scrollWidth")
        if width > PORTRAIT["width"]:
            found.problems.append(f"{route}: the page is {width} px wide on a "
                                  f"{PORTRAIT['width']} px screen")
    shoot(page, screenshots, "phone-ja")
    found.assert_clean()


# --- Chat History whatever the names ---------------------------------------------------------

LONG_NAME = ("寿限無寿限無五劫の擦り切れ海砂利水魚の水行末雲来末風来末食う寝る処に住む処"
             "やぶら小路の藪柑子パイポパイポパイポのシューリンガン")
LONG_EMAIL = ("jugemu.jugemu.gokou-no-surikire.kaijari-suigyo.suigyoumatsu"
              "@very-long-subdomain.example-corporation.co.jp")


def test_chat_history_fits_1280px_with_a_very_long_japanese_name_and_email(
    contexts: Any, local_stack: LocalStack, operator: Operator
) -> None:
    customer = Customer(local_stack.api_url)
    try:
        customer.start(LONG_NAME, email=LONG_EMAIL)
        chat = operator.take_chat()
        customer.say("長い名前のお客様です。")
        operator.call("POST", f"/chats/{chat['chat_id']}/end")
    finally:
        customer.close()

    page = contexts("ja", {"width": 1280, "height": 800}).new_page()
    console_sign_in(page, local_stack, "ja")
    visit(page, local_stack, "/history")
    table = page.get_by_test_id("history-table")
    row = table.locator("tbody tr", has_text=LONG_NAME[:12]).first
    expect(row).to_be_visible()

    overflow = page.evaluate("""() => [document.documentElement, document.querySelector('#main'),
        document.querySelector('.table-card')].map((el) => el.scrollWidth - el.clientWidth)""")
    assert overflow == [0, 0, 0], f"horizontal overflow (page, main, table) in px: {overflow}"
    assert_headers_on_screen(table, 8)

    name, email = row.locator("td").nth(1), row.locator("td").nth(2)
    for cell, text in ((name, LONG_NAME), (email, LONG_EMAIL)):
        expect(cell).to_have_attribute("title", text)  # the whole of it on hover
        expect(cell).to_have_text(text)  # and to a screen reader
        assert cell.evaluate("td => td.scrollWidth > td.clientWidth"), "not cut short"
        assert cell.evaluate("td => getComputedStyle(td).textOverflow") == "ellipsis"
    # A keyboard user on the row sees the whole name and email.
    row.focus()
    for cell in (name, email):
        assert cell.evaluate("td => td.scrollWidth <= td.clientWidth"), "still cut on focus"
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 1280

    # With the detail panel open, the columns it shows give way to it.
    row.click()
    expect(page.get_by_test_id("history-detail")).to_be_visible()
    assert_headers_on_screen(table, 4)
    overflow = page.evaluate("""() => [document.documentElement, document.querySelector('#main'),
        document.querySelector('.table-card')].map((el) => el.scrollWidth - el.clientWidth)""")
    assert overflow == [0, 0, 0], f"horizontal overflow with the panel open: {overflow}"


def assert_headers_on_screen(table: Any, count: int, width: int = 1280) -> None:
    """`count` column headers, each on screen and readable whole."""
    headers = table.locator("thead th:visible")
    assert headers.count() == count
    for n in range(count):
        header = headers.nth(n)
        box = header.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, (
            f"column {n + 1} header ({header.inner_text()}) is off screen: {box}")
        assert header.evaluate("th => th.scrollWidth <= th.clientWidth"), (
            f"column {n + 1} header ({header.inner_text()}) is cut short")
