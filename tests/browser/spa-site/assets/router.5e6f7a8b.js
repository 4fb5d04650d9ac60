// A client-side router: every extension-less URL is served index.html, and this renders it.
document.getElementById("route").textContent = location.pathname;
