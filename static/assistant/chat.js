// Progressive enhancement of the chat widget: without this file the form posts to
// /assistant/ and the page comes back with the answer. With it, the message goes to
// POST /api/assistant/chat/ and the answer is added in place. Every text is set with
// textContent, never as HTML, so nothing a shopper or the server sends can run.
(function () {
  const widget = document.getElementById("assistant");
  if (widget && window.location.hash === "#assistant") widget.open = true;  // back from "Add to cart"
  const form = document.querySelector(".assistant-form");
  if (!form || !window.fetch) return;
  const log = document.querySelector(".assistant-log");
  const input = form.querySelector("input[name=message]");
  const csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  let conversationId = null;

  // the interface's words, in the page's language (data-t-* on the form, templates/assistant/_widget.html)
  const words = (document.querySelector(".assistant-form") || {dataset: {}}).dataset;
  function t(key, fallback) { return words[key] || fallback; }
  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function card(p) {
    const li = el("li", "assistant-card");
    li.dataset.testid = "assistant-card";
    li.setAttribute("data-testid", "assistant-card");
    li.dataset.productId = p.id;
    li.dataset.price = p.price;
    const a = el("a", "assistant-card-name", p.name);
    a.href = p.url;
    li.append(a, el("span", "assistant-card-price", "£" + p.price),
      el("span", "assistant-card-stock", p.in_stock ? t("tInStock", "{n} in stock").replace("{n}", p.stock) : t("tOutOfStock", "out of stock")));
    if (p.in_stock) {
      const f = el("form", "assistant-add");
      f.method = "post";
      f.action = form.dataset.cartAdd;
      for (const [name, value] of [["csrfmiddlewaretoken", csrf], ["product", p.id], ["quantity", "1"], ["next", window.location.pathname + "#assistant"]]) {
        const h = el("input");
        h.type = "hidden"; h.name = name; h.value = value;
        f.append(h);
      }
      const b = el("button", "", t("tAdd", "Add to cart"));
      b.type = "submit";
      b.setAttribute("data-testid", "assistant-add");
      f.append(b);
      li.append(f);
    }
    return li;
  }

  function add(role, text, products, sources) {
    const li = el("li", "assistant-msg assistant-msg-" + role);
    li.dataset.role = role;
    li.append(el("p", "assistant-text", text));
    if (products && products.length) {
      const ul = el("ul", "assistant-cards");
      products.forEach((p) => ul.append(card(p)));
      li.append(ul);
    }
    if (sources && sources.length) {
      const p = el("p", "assistant-sources", t("tSource", "Source:") + " ");
      sources.forEach((s, i) => {
        const a = el("a", "", s.title);
        a.href = s.url;
        p.append(a);
        if (i < sources.length - 1) p.append(", ");
      });
      li.append(p);
    }
    log.append(li);
    log.scrollTop = log.scrollHeight;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const message = input.value;
    if (!message.trim()) return;
    input.value = "";
    add("shopper", message);
    const body = { message: message };
    if (conversationId) body.conversation_id = conversationId;
    try {
      const response = await fetch(form.dataset.api, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
        credentials: "same-origin",
        body: JSON.stringify(body),
      });
      if (response.status === 429) { add("assistant", t("tSlow", "You are sending messages too quickly. Please wait a minute.")); return; }
      const data = await response.json();
      if (!response.ok) { add("assistant", t("tError", "Sorry, something went wrong. Please try again.")); return; }
      conversationId = data.conversation_id;
      add("assistant", data.reply, data.products, data.sources);
    } catch (e) {
      add("assistant", t("tOffline", "Sorry, I could not reach the shop. Please try again."));
    }
  });
})();
