// dashboard.mjs - the coordinators' dashboard in a real browser (Debian's
// chromium, driven by playwright-core), against a running gateway and
// simulator that tests/e2e/e2e_dashboard.c started:
//
//   node dashboard.mjs GATEWAY_URL SIM_URL TOKEN TEXTER LINE_NUMBER
//
// It checks what a coordinator would see: without the right token the page
// shows nothing of the line; with it, the line's name, and a texter who
// texts the line appears waiting within seconds, by reference, never by
// number. And that the page works under a Content-Security-Policy with no
// 'unsafe-inline' (its own script allowed by hash: everything above is that
// script at work) that stops a script or handler injected into it.
// Exits 0 when all holds, 1 (saying what failed) otherwise.
import { chromium } from "playwright-core";
import { injectionRuns, policyProblems, watchViolations } from "./csp.mjs";

const [gateway, sim, token, texter, lineNumber] = process.argv.slice(2);
const executablePath = process.env.PEERLINE_CHROMIUM || "/usr/bin/chromium";

function fail(msg) {
  console.error("dashboard: " + msg);
  process.exitCode = 1;
}

async function text(from, to, body) {
  const r = await fetch(sim + "/sim/sms", {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ From: from, To: to, Body: body }).toString(),
  });
  if (!r.ok) throw new Error("the simulator answered " + r.status);
}

const browser = await chromium.launch({ executablePath, args: ["--no-sandbox"] });
try {
  const page = await browser.newPage({ viewport: { width: 390, height: 844 } }); // a phone
  page.setDefaultTimeout(10000);
  const violations = watchViolations(page);
  page.on("pageerror", (e) => fail("the page's script failed: " + e.message));
  const answer = await page.goto(gateway + "/admin");
  const csp = answer.headers()["content-security-policy"];
  for (const p of policyProblems(csp)) fail("the policy: " + p);

  // A wrong token: refused, and the board stays hidden. Only the page's own
  // script can say so (the form has no action): that it does is the proof
  // the policy let it run.
  await page.fill("#token", "not-the-token-0123456789");
  await page.press("#token", "Enter");
  await page.waitForFunction(() => /not accepted/.test(document.querySelector("#error").textContent))
    .catch(() => { throw new Error("the page's script did not run (policy: " + csp + ")"); });
  if (await page.isVisible("#board")) fail("the board showed with a wrong token");

  // The right one (typed, then Enter: the keyboard alone is enough).
  await page.fill("#token", token);
  await page.press("#token", "Enter");
  await page.waitForSelector("#board", { state: "visible" });
  const line = await page.textContent("#line");
  if (line !== "Test Line") fail("the line's name is '" + line + "'");
  // Both peers on one page, with no pager to get in the way.
  await page.waitForFunction(() => document.querySelectorAll("#peers tbody tr").length === 2);
  const range = await page.textContent("#peers-range");
  if (range !== "Peers 1-2 of 2, by id.") fail("the peers are introduced as '" + range + "'");
  if (await page.isVisible("#peers-pager")) fail("a pager shows for two peers");

  // A texter reaches out; within seconds they are on the board, waiting.
  await text(texter, lineNumber, "I'm anxious and can't sleep");
  await page.waitForFunction(
    () => [...document.querySelectorAll("#convs tbody tr")].some(
      (tr) => /^R/.test(tr.cells[0].textContent) && /queued|offered/.test(tr.cells[1].textContent)
        && /anxiety/.test(tr.cells[2].textContent)),
    null, { timeout: 10000 });
  const waiting = await page.textContent("#c-waiting");
  if (waiting !== "1") fail("'waiting now' shows " + waiting);

  // Nothing on the page is a phone number or a message.
  const all = await page.textContent("body");
  if (all.includes(texter.slice(2)) || all.includes("can't sleep"))
    fail("the page shows the texter's number or words");

  // Signing out hides the line again.
  await page.click("#signout");
  if (await page.isVisible("#board")) fail("the board stayed after signing out");

  // The page did all that under its policy without a single violation, and
  // the policy stops what an injection would add.
  if (violations.length) fail("the policy blocked part of the page: " + violations[0]);
  const ran = await injectionRuns(page);
  if (ran.script) fail("an injected inline script ran (policy: " + csp + ")");
  if (ran.handler) fail("an injected onclick ran (policy: " + csp + ")");
} catch (e) {
  fail(e.message);
} finally {
  await browser.close();
}
