// the segment form's live member count (templates/admin/profiles/segment/change_form.html)
(function () {
  const url = document.currentScript && document.currentScript.dataset.previewUrl;
  // live count while the rule is edited: POST the textarea to preview/ (debounced)
  const box = document.querySelector("textarea[name=rule]");
  const out = document.getElementById("segment-live");
  const csrf = document.querySelector("input[name=csrfmiddlewaretoken]").value;
  if (!box || !out || !url) return;
  let timer = null;
  function update() {
    fetch(url, {
      method: "POST", headers: {"Content-Type": "application/json", "X-CSRFToken": csrf},
      body: JSON.stringify({rule: box.value}),
    }).then(r => r.json()).then(d => {
      out.textContent = d.error ? ("Rule not valid: " + d.error)
        : (Number(d.members).toLocaleString("en-GB") + " members, £" + Number(d.revenue).toLocaleString("en-GB", {minimumFractionDigits: 2}) + " net revenue");
    });
  }
  box.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(update, 300); });
  if (box.value.trim()) update();
})();
