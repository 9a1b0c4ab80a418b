// dashboard_pages.mjs - the dashboard on a line of tens of thousands of
// peers (tests/e2e/e2e_dashboard.c starts one), in a real browser: the board
// opens at once with the first page of peers and every count, and the
// keyboard alone pages forward and back through them.
//
//   node dashboard_pages.mjs GATEWAY_URL TOKEN PEERS
//
// Exits 0 when all holds, 1 (saying what failed) otherwise.
import { chromium } from "playwright-core";
import { watchViolations } from "./csp.mjs";

const [gateway, token, total] = process.argv.slice(2);
const executablePath = process.env.PEERLINE_CHROMIUM || "/usr/bin/chromium";

function fail(msg) {
  console.error("dashboard pages: " + msg);
  process.exitCode = 1;
}

const range = (page) => page.textContent("#peers-range");
const rows = (page) => page.locator("#peers tbody tr").count();
const firstPeer = (page) => page.textContent("#peers tbody tr:first-child td:first-child");

async function waitRange(page, want) {
  await page.waitForFunction(
    (w) => document.querySelector("#peers-range").textContent.startsWith(w), want);
}

const browser = await chromium.launch({ executablePath, args: ["--no-sandbox"] });
try {
  const page = await browser.newPage({ viewport: { width: 390, height: 844 } }); // a phone
  page.setDefaultTimeout(15000);
  const violations = watchViolations(page);
  page.on("pageerror", (e) => fail("the page's script failed: " + e.message));
  await page.goto(gateway + "/admin");
  const t0 = Date.now();
  await page.fill("#token", token);
  await page.press("#token", "Enter");
  await page.waitForSelector("#board", { state: "visible" });
  await waitRange(page, "Peers 1-100 of " + total);
  console.log("# the board with the first page of " + total + " peers: " + (Date.now() - t0) + " ms");
  if ((await rows(page)) !== 100) fail("the first page shows " + (await rows(page)) + " peers");
  if (!(await firstPeer(page)).startsWith("Alex")) fail("the first peer is " + (await firstPeer(page)));
  if (await page.textContent("#c-ready") !== "2") fail("'peers ready' is not the whole line's 2");
  if (!(await page.isDisabled("#peers-prev"))) fail("Previous works on the first page");

  // Forward with the keyboard alone: focus Next, press Enter.
  await page.focus("#peers-next");
  await page.keyboard.press("Enter");
  await waitRange(page, "Peers 101-200 of " + total);
  if ((await rows(page)) !== 100) fail("the second page shows " + (await rows(page)) + " peers");
  if ((await firstPeer(page)).startsWith("Alex")) fail("the second page starts with Alex again");
  await page.keyboard.press("Enter");
  await waitRange(page, "Peers 201-300 of " + total);

  // And back.
  await page.focus("#peers-prev");
  await page.keyboard.press("Enter");
  await waitRange(page, "Peers 101-200 of " + total);
  await page.keyboard.press("Enter");
  await waitRange(page, "Peers 1-100 of " + total);
  if (!(await firstPeer(page)).startsWith("Alex")) fail("back on the first page, it starts with " + (await firstPeer(page)));

  // A refresh (every 3 s) keeps the page the coordinator is on.
  await page.click("#peers-next");
  await waitRange(page, "Peers 101-200 of " + total);
  const updated = await page.textContent("#updated");
  await page.waitForFunction((u) => document.querySelector("#updated").textContent !== u, updated);
  const after = await range(page);
  if (!after.startsWith("Peers 101-200")) fail("a refresh moved the page to " + after);
  if (violations.length) fail("the policy blocked part of the page: " + violations[0]);
} catch (e) {
  fail(e.message);
} finally {
  await browser.close();
}
