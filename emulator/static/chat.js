"use strict";

const ALLOWED = new Set(["B", "STRONG", "I", "EM", "U", "INS", "S", "STRIKE", "DEL", "CODE", "PRE",
  "BLOCKQUOTE", "A", "TG-SPOILER", "SPAN", "TG-EMOJI"]);
const $ = (id) => document.getElementById(id);
let userId = null; // the user whose private chat is shown (null: a group is shown)
let poller = null;
let people = new Map(); // user id -> the user, with their own phone number if they have one
let shownNotice; // the id of the last answer shown (undefined: none read yet)

async function api(path, options = {}) {
  const response = await fetch(`/_emulator${path}`, options);
  const body = await response.json();
  if (!response.ok) throw new Error(body.error || response.statusText);
  return body;
}

function post(path, body) {
  const json = { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
  return api(path, json).catch(showError);
}

function showError(error) {
  $("error").textContent = String(error);
}

function act(action, body) {
  $("error").textContent = "";
  return post(`/users/${userId}/${action}`, body);
}

/* Rebuild Telegram-formatted HTML keeping only the tags Telegram allows; text stays text. */
function cleanNodes(source) {
  const fragment = document.createDocumentFragment();
  for (const node of source.childNodes) {
    if (node.nodeType === Node.TEXT_NODE) fragment.append(node.textContent);
    if (node.nodeType !== Node.ELEMENT_NODE) continue;
    if (!ALLOWED.has(node.tagName)) { fragment.append(cleanNodes(node)); continue; }
    const plain = ["TG-SPOILER", "SPAN", "TG-EMOJI"].includes(node.tagName);
    const element = document.createElement(plain ? "span" : node.tagName);
    if (node.tagName !== "TG-EMOJI" && plain) element.className = "spoiler";
    const href = node.getAttribute("href") || "";
    if (node.tagName === "A" && /^(https?|tg):/i.test(href)) {
      element.href = href;
      element.target = "_blank";
      element.rel = "noopener noreferrer";
    }
    element.append(cleanNodes(node));
    fragment.append(element);
  }
  return fragment;
}

function renderText(view) {
  if (view.from_bot && (view.parse_mode || "").toLowerCase() === "html") {
    return cleanNodes(new DOMParser().parseFromString(view.text, "text/html").body);
  }
  return document.createTextNode(view.text || "");
}

function renderMedia(message, box) {
  if (message.photo) {
    const image = document.createElement("img");
    image.src = `/_emulator/files/${encodeURIComponent(message.photo.at(-1).file_id)}`;
    box.append(image);
  }
  if (message.contact) box.append(`📇 ${message.contact.first_name} ${message.contact.phone_number}`);
  if (message.sticker) box.append(message.sticker.emoji || "[sticker]");
}

function inlineRow(view, row) {
  const line = document.createElement("div");
  line.className = "row";
  for (const button of row) {
    const element = document.createElement(button.url ? "a" : "button");
    element.textContent = button.text;
    if (button.url) element.href = button.url;
    else if (userId === null) element.disabled = true; // a group is read-only here
    else element.onclick = () => act("callback", { message_id: view.message_id, data: button.callback_data });
    line.append(element);
  }
  return line;
}

function renderMessage(view) {
  const box = document.createElement("div");
  box.className = `msg ${view.from_bot ? "bot" : "user"}${view.deleted ? " deleted" : ""}`;
  renderMedia(view.message, box);
  if (view.text) box.append(renderText(view));
  for (const row of (view.reply_markup || {}).inline_keyboard || []) box.append(inlineRow(view, row));
  const meta = document.createElement("div");
  meta.className = "meta";
  const sender = view.from_bot || view.message.chat.type === "private" ? "" : `${view.message.from.first_name} · `;
  meta.textContent = `${sender}#${view.message_id}${view.edited ? " · edited" : ""}`;
  box.append(meta);
  return box;
}

function renderKeyboard(keyboard) {
  $("keyboard").replaceChildren(...(keyboard ? keyboard.keyboard : []).map((row) => {
    const line = document.createElement("div");
    line.className = "row";
    for (const button of row) {
      const element = document.createElement("button");
      element.textContent = button.text;
      element.onclick = () => (button.request_contact ? shareContact() : act("text", { text: button.text }));
      line.append(element);
    }
    return line;
  }));
}

/* The bot's answer to a button press, shown over the chat as Telegram does (a toast or an alert). */
function renderNotice(notice) {
  const id = notice ? notice.id : null;
  if (shownNotice === undefined) { shownNotice = id; return; } // from before this user was chosen
  if (!notice || id === shownNotice) return;
  shownNotice = id;
  if (notice.alert) { alert(notice.text); return; }
  $("notice").textContent = notice.text;
  clearTimeout(renderNotice.timer);
  renderNotice.timer = setTimeout(() => { $("notice").textContent = ""; }, 4000);
}

function render(state) {
  $("messages").replaceChildren(...state.messages.map(renderMessage));
  $("messages").scrollTop = $("messages").scrollHeight;
  renderKeyboard(state.keyboard);
  renderNotice(state.notice);
}

async function watch(chatId) {
  const controller = new AbortController();
  poller?.abort();
  poller = controller;
  let version = -1;
  while (!controller.signal.aborted) {
    try {
      const state = await api(`/chats/${chatId}?after=${version}&timeout=25`, { signal: controller.signal });
      version = state.version;
      render(state);
    } catch (error) {
      if (!controller.signal.aborted) showError(`Disconnected: ${error.message}. Reload the page.`);
      return;
    }
  }
}

function optionGroup(label, options) {
  const group = document.createElement("optgroup");
  group.label = label;
  group.append(...options);
  return group;
}

/* The customers' private chats, then the groups (the demo's staff chat), read-only. */
async function loadChats(selected) {
  const [users, groups] = await Promise.all([api("/users"), api("/groups")]);
  people = new Map(users.map((user) => [user.id, user]));
  const privateChats = users.map((user) => new Option(`${user.first_name} (${user.id})`, user.id));
  const groupChats = groups.map((group) => new Option(group.title, group.id));
  const sections = [["Private chats", privateChats], ["Groups (read-only)", groupChats]];
  $("chats").replaceChildren(...sections.filter(([, options]) => options.length).map(
    ([label, options]) => optionGroup(label, options)));
  if (selected) $("chats").value = selected;
  if (users.length || groups.length) choose(Number($("chats").value));
}

/* Private chats have the user's (positive) id; groups have negative ones. */
function choose(chatId) {
  userId = chatId > 0 ? chatId : null;
  document.body.classList.toggle("group", userId === null);
  shownNotice = undefined;
  watch(chatId);
}

/* Telegram shares the user's own number; a user made here without one is asked for it. */
function shareContact() {
  const own = people.get(userId)?.phone_number;
  const phone = own || prompt("Your phone number (as the shop knows it)", "+86");
  if (phone) act("contact", { phone_number: phone });
}

$("chats").onchange = () => choose(Number($("chats").value));
$("contact").onclick = shareContact;
$("new-user").onsubmit = async (event) => {
  event.preventDefault();
  const user = await post("/users", { first_name: $("first-name").value, language_code: $("language").value });
  if (user) loadChats(user.id);
};
$("composer").onsubmit = (event) => {
  event.preventDefault();
  const text = $("text").value;
  if (!text || userId === null) return;
  $("text").value = "";
  if (text.startsWith("/")) {
    const [command, ...args] = text.split(" ");
    act("command", { command, args: args.join(" ") });
  } else act("text", { text });
};
$("photo").onchange = () => {
  const form = new FormData();
  form.append("photo", $("photo").files[0]);
  $("photo").value = "";
  api(`/users/${userId}/photo`, { method: "POST", body: form }).catch(showError);
};
loadChats().catch(showError);
