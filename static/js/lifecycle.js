// The run-status vocabulary, as the server defines it (app/lifecycle.py), embedded in every page.
export const LIFECYCLE = JSON.parse(document.getElementById("lifecycle").textContent);
