// Shared by the pages: the i18n table (window.LW_I18N, from /static/i18n.js) and the language switch.
"use strict";
const LW = window.LW_I18N || {lang: "ru", langs: ["ru", "en"], strings: {ru: {}, en: {}}, examples: []};

function t(key) {
  const table = LW.strings[LW.lang] || {};
  return key in table ? table[key] : key;
}

function applyI18n(root) {
  document.documentElement.lang = LW.lang;
  for (const el of (root || document).querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of (root || document).querySelectorAll("[data-i18n-placeholder]")) {
    el.placeholder = t(el.dataset.i18nPlaceholder);
  }
  for (const el of (root || document).querySelectorAll("[data-i18n-title]")) el.title = t(el.dataset.i18nTitle);
}

function switchLanguage(onChange) {
  const next = LW.langs[(LW.langs.indexOf(LW.lang) + 1) % LW.langs.length];
  LW.lang = next;
  document.cookie = "lw_lang=" + next + "; path=/; max-age=31536000; samesite=lax";
  applyI18n();
  if (onChange) onChange();
}
