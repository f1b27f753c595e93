// Loaded by the login page after a deliberate sign-out: forget what form pages kept in this tab.
"use strict";
Object.keys(window.sessionStorage)
  .filter(function (key) { return key.indexOf("edc:") === 0; })
  .forEach(function (key) { window.sessionStorage.removeItem(key); });
