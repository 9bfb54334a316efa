"use strict";
document.addEventListener("DOMContentLoaded", () => {
  applyI18n();
  const params = new URLSearchParams(location.search);
  const next = params.get("next") || "/";
  document.getElementById("next").value = next.startsWith("/") && !next.startsWith("//") ? next : "/";
  if (params.get("error")) document.getElementById("login-error").hidden = false;
  document.getElementById("lang-switch").addEventListener("click", () => switchLanguage());
});
