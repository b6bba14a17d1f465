// Opens a page in headless Chromium, waits for it to settle, prints its visible text and takes
// a screenshot.   node page_text.mjs URL SCREENSHOT
import { launch } from "./chromium.mjs";

const [url, screenshot] = process.argv.slice(2);
const browser = await launch();
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  await page.goto(url, { waitUntil: "networkidle", timeout: 120_000 });
  await page.waitForTimeout(2000);
  // The formgrader shows the notebook in an iframe: gather the text of every frame.
  const texts = [];
  for (const frame of page.frames()) {
    try {
      texts.push(await frame.evaluate(() => document.body ? document.body.innerText : ""));
    } catch (e) {
      // a frame that went away
    }
  }
  await page.screenshot({ path: screenshot, fullPage: true });
  console.log(texts.join("\n"));
} finally {
  await browser.close();
}
