// csp.mjs - what dashboard.mjs and sim.mjs check of a page's
// Content-Security-Policy: its scripts and styles are allowed by hash, never
// with 'unsafe-inline', and the policy holds in the browser: a script or an
// inline event handler added to the page does not run, and the page's own
// work raises no violation.

// The policy's directives as {name: [sources]}.
function directives(csp) {
  const out = {};
  for (const part of (csp || "").split(";")) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (name) out[name.toLowerCase()] = sources;
  }
  return out;
}

// Problems with the policy header `csp` (an empty list when it is as it should be).
export function policyProblems(csp) {
  const d = directives(csp), problems = [];
  if (!csp) return ["no Content-Security-Policy header"];
  for (const name of ["script-src", "style-src"]) {
    const sources = d[name] || d["default-src"] || [];
    if (!d[name]) problems.push(name + " is missing");
    if (sources.some((s) => /^'unsafe-(inline|eval|hashes)'$/i.test(s)))
      problems.push(name + " allows " + sources.join(" "));
    if (!sources.some((s) => /^'sha256-[A-Za-z0-9+/]{43}='$/.test(s)))
      problems.push(name + " names no sha256 hash: " + sources.join(" "));
  }
  return problems;
}

// Collects every CSP violation Chromium reports on the page's console.
export function watchViolations(page) {
  const seen = [];
  page.on("console", (m) => {
    if (/Content Security Policy/i.test(m.text())) seen.push(m.text());
  });
  return seen;
}

// Adds an inline script and a button with an inline onclick to the page, as
// an injection would; returns which of them ran (both false under the policy).
export async function injectionRuns(page) {
  return page.evaluate(() => {
    window.__peerlineInjected = false;
    window.__peerlineClicked = false;
    const s = document.createElement("script");
    s.textContent = "window.__peerlineInjected = true;";
    document.head.appendChild(s);
    const b = document.createElement("button");
    b.setAttribute("onclick", "window.__peerlineClicked = true");
    document.body.appendChild(b);
    b.click();
    s.remove();
    b.remove();
    return { script: window.__peerlineInjected, handler: window.__peerlineClicked };
  });
}
