import { ApiError, api, isSweeper, saveSession } from "../api.js";
import { h, fill } from "../ui.js";

function safeNext() {
  const next = new URLSearchParams(location.search).get("next");
  // Only ever go back to a page of this site.
  return next && next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/login") ? next : null;
}

function render() {
  const main = document.getElementById("main");
  const error = h("p", { id: "login-error", class: "form-error", role: "alert", hidden: true });
  const email = h("input", {
    id: "email", name: "email", type: "email", autocomplete: "username", required: true, autofocus: true,
  });
  const password = h("input", {
    id: "password", name: "password", type: "password", autocomplete: "current-password", required: true,
  });
  const submit = h("button", { type: "submit", class: "primary" }, "Log in");
  const form = h(
    "form",
    { class: "card login-card", "aria-labelledby": "login-title", novalidate: false },
    h("h1", { id: "login-title" }, "Log in to shiftline"),
    h("label", { for: "email" }, "Email"),
    email,
    h("label", { for: "password" }, "Password"),
    password,
    error,
    submit,
  );
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    error.hidden = true;
    submit.disabled = true;
    try {
      const data = await api("POST", "/api/login", { email: email.value.trim(), password: password.value });
      saveSession(data.token, data.user);
      location.assign(safeNext() || "/campaigns");
    } catch (err) {
      error.textContent = err instanceof ApiError ? err.message : "Could not log in.";
      error.hidden = false;
      password.select();
    } finally {
      submit.disabled = false;
    }
  });
  fill(main, form);
  email.focus();
}

render();
export { isSweeper };
