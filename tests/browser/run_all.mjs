// Opens a notebook in JupyterLab in headless Chromium, runs all its cells the way a teacher
// would (Run > Run All Cells), waits for the kernel to finish, and reports what the page shows.
//
//   node run_all.mjs BASE_URL TOKEN NOTEBOOK SCREENSHOT
// Prints one JSON line: {cells, executed, outputText, svgCount, errors, seconds}.
import { launch } from "./chromium.mjs";

const [base, token, notebook, screenshot] = process.argv.slice(2);
const started = Date.now();
const browser = await launch();
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  await page.goto(`${base}/lab/tree/${notebook}?token=${token}`);
  // The notebook is open and its Rust kernel is idle.
  await page.waitForFunction(() => {
    const app = window.jupyterapp;
    const widget = app && app.shell.currentWidget;
    const kernel = widget && widget.sessionContext && widget.sessionContext.session && widget.sessionContext.session.kernel;
    return kernel && kernel.status === "idle" && widget.content && widget.content.widgets.length > 0;
  }, null, { timeout: 120_000, polling: 500 });
  await page.evaluate(() => window.jupyterapp.commands.execute("notebook:run-all-cells"));
  // Done when every code cell has an execution count and the kernel is idle again.
  await page.waitForFunction(() => {
    const widget = window.jupyterapp.shell.currentWidget;
    const cells = widget.content.widgets.filter((c) => c.model.type === "code");
    const done = cells.every((c) => c.model.executionCount !== null && c.model.executionCount !== undefined);
    return done && widget.sessionContext.session.kernel.status === "idle";
  }, null, { timeout: 900_000, polling: 1000 });
  const report = await page.evaluate(() => {
    const widget = window.jupyterapp.shell.currentWidget;
    const cells = widget.content.widgets.filter((c) => c.model.type === "code");
    const outputs = [...document.querySelectorAll(".jp-OutputArea-output")];
    return {
      cells: cells.length,
      executed: cells.filter((c) => c.model.executionCount).length,
      outputText: outputs.map((o) => o.innerText).join("\n"),
      svgCount: document.querySelectorAll(".jp-OutputArea-output svg").length,
      errors: document.querySelectorAll(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").length,
    };
  });
  await page.screenshot({ path: screenshot, fullPage: true });
  report.seconds = Math.round((Date.now() - started) / 1000);
  console.log(JSON.stringify(report));
} finally {
  await browser.close();
}
