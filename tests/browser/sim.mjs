// sim.mjs - a whole first conversation played in the simulator's page, in a
// real browser (Debian's chromium, driven by playwright-core), against a
// gateway and simulator that tests/e2e/e2e_simpage.c started:
//
//   node sim.mjs SIM_URL TEXTER LINE_NUMBER PEER_PHONE PEER_NAME [SCREENSHOT.png]
//
// Everything goes through the page, as a person would: the texter sends
// "hi" and picks topic 1 from the menu; the offer appears on the peer's
// phone in a thread with a pool number, and the peer takes it; each side
// sends one message and sees the other's; the peer ends the chat and both
// see the closing texts. Neither phone ever shows the other's number.
// With SIM_TRAINEE=PHONE in the environment (the demo roster's trainee, who
// reads along with the peer's chats), that phone is on the page, labelled as
// a trainee's, and shows the copy of the texter's message from a line number.
// Exits 0 when all holds, 1 (saying what failed) otherwise. With a sixth
// argument, saves a screenshot of the page mid-conversation there (how the
// README's picture is made). All of it is the page's own script at work,
// under a Content-Security-Policy with no 'unsafe-inline' (the script and
// style allowed by hash), which also stops a script or handler injected into
// the page.
import { chromium } from "playwright-core";
import { injectionRuns, policyProblems, watchViolations } from "./csp.mjs";

const [sim, texter, lineNumber, peer, peerName, screenshot] = process.argv.slice(2);
const trainee = process.env.SIM_TRAINEE;
const executablePath = process.env.PEERLINE_CHROMIUM || "/usr/bin/chromium";

function fail(msg) {
  console.error("sim page: " + msg);
  process.exitCode = 1;
}

const phone = (n) => `section.phone[data-phone="${n}"]`;

// Sends `body` from phone `from` in its thread with `to`, by typing and Enter.
async function send(page, from, to, body) {
  const input = page.locator(`${phone(from)} .thread[data-with="${to}"] input`);
  await input.fill(body);
  await input.press("Enter");
  await page.waitForFunction(
    ([f, t, b]) => [...document.querySelectorAll(
      `section.phone[data-phone="${f}"] .thread[data-with="${t}"] li.msg.out`)]
      .some((li) => li.firstChild && li.firstChild.textContent === b),
    [from, to, body]);
}

// Waits until phone `on` shows an incoming text matching `re` (in any
// thread, or the thread with `from`); returns the number it came from.
async function receive(page, on, re, from) {
  const h = await page.waitForFunction(
    ([p, src, f]) => {
      const re = new RegExp(src);
      const sel = `section.phone[data-phone="${p}"] .thread${f ? `[data-with="${f}"]` : ""}`;
      for (const t of document.querySelectorAll(sel))
        for (const li of t.querySelectorAll("li.msg.in"))
          if (re.test(li.textContent)) return t.dataset.with;
      return null;
    },
    [on, re.source, from || null], { timeout: 15000 });
  return h.jsonValue();
}

const browser = await chromium.launch({ executablePath, args: ["--no-sandbox"] });
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.setDefaultTimeout(10000);
  const violations = watchViolations(page);
  page.on("pageerror", (e) => fail("the page's script failed: " + e.message));
  const answer = await page.goto(sim + "/");
  const csp = answer.headers()["content-security-policy"];
  for (const p of policyProblems(csp)) fail("the policy: " + p);
  // The phones are drawn by the page's own script: that they appear is the
  // proof the policy let it run.
  await page.waitForSelector(phone(texter))
    .catch(() => { throw new Error("the page's script did not run (policy: " + csp + ")"); });
  await page.waitForSelector(phone(peer));
  if (trainee) {
    const sec = page.locator(`${phone(trainee)}[data-role="trainee"]`);
    if ((await sec.count()) !== 1) fail("no phone labelled as a trainee's for " + trainee);
    else if (!/\(trainee\)[\s\S]*trainee · reads along with/.test(await sec.textContent()))
      fail("the trainee's phone does not say it is one: " + (await sec.textContent()));
  }

  // The texter reaches out and picks the first topic from the menu.
  await send(page, texter, lineNumber, "hi");
  await receive(page, texter, /Reply with a number/, lineNumber);
  await send(page, texter, lineNumber, "1");
  await receive(page, texter, /in line/, lineNumber);

  // The offer reaches the peer from a pool number, and they take it.
  const pool = await receive(page, peer, /#take/);
  if (pool === lineNumber || pool === texter) fail("the offer came from " + pool);
  await send(page, peer, pool, "#take");
  await receive(page, texter, new RegExp("You're now texting with " + peerName), lineNumber);

  // One message each way, each arriving from the line's own numbers.
  await send(page, texter, lineNumber, "I can't sleep again");
  await receive(page, peer, /I can't sleep again/, pool);
  if (trainee) {
    const from = await receive(page, trainee, /^Texter: I can't sleep again/);
    if (from === lineNumber || from === texter || from === peer)
      fail("the trainee's copy came from " + from);
  }
  await send(page, peer, pool, "I'm here. What's keeping you up?");
  await receive(page, texter, /What's keeping you up\?/, lineNumber);
  if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });

  // The peer ends it; both sides see it closed.
  await send(page, peer, pool, "#end");
  await receive(page, texter, /has ended the chat/, lineNumber);
  await receive(page, peer, /Chat closed/, pool);

  // Neither phone shows the other's number anywhere.
  const texterSees = await page.textContent(phone(texter));
  const peerSees = await page.textContent(phone(peer));
  if (texterSees.includes(peer)) fail("the texter's phone shows the peer's number");
  if (peerSees.includes(texter)) fail("the peer's phone shows the texter's number");

  // A second texter phone can be added with the button, and is ready to text.
  const before = await page.locator('section.phone[data-role="texter"]').count();
  await page.click("#add-texter");
  const after = await page.locator('section.phone[data-role="texter"]').count();
  if (after !== before + 1) fail("'Add a texter' made " + (after - before) + " phones");
  const focused = await page.evaluate(() => document.activeElement && document.activeElement.tagName);
  if (focused !== "INPUT") fail("the new texter's box is not focused");

  // All of that under the policy without a violation; and the policy stops
  // what an injection would add.
  if (violations.length) fail("the policy blocked part of the page: " + violations[0]);
  const ran = await injectionRuns(page);
  if (ran.script) fail("an injected inline script ran (policy: " + csp + ")");
  if (ran.handler) fail("an injected onclick ran (policy: " + csp + ")");
} catch (e) {
  fail(e.message);
} finally {
  await browser.close();
}
