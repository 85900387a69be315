/**
 * Everything the page runs is the bundle served beside it: no inline script or style, no
 * other origin. CodeMirror styles itself through constructed style sheets, which the policy
 * does not govern; an inline `<style>` or `style=""` would be refused (and logged).
 */
export const PLAYGROUND_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export const PLAYGROUND_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>segment-braze playground</title>
<link rel="stylesheet" href="./app.css">
<script src="./app.js" defer></script>
</head>
<body>
<header>
  <h1>segment-braze playground</h1>
  <span class="note">Edits stay in this page: copy or download the YAML, nothing is written to the server.</span>
  <span id="status" role="status"></span>
</header>
<main>
  <section id="mapping-pane" aria-label="Mapping">
    <div class="pane-head"><nav id="tabs"></nav><button id="copy-yaml" type="button">Copy</button><button id="download-yaml" type="button">Download</button></div>
    <div id="editor"></div>
    <ul id="diagnostics"></ul>
  </section>
  <section id="input-pane" aria-label="Input">
    <div class="pane-head"><label for="sample">Sample</label><select id="sample"></select></div>
    <div id="input"></div>
    <p class="note">One message, a JSON array or NDJSON.</p>
  </section>
  <section id="output-pane" aria-label="Output">
    <div class="pane-head"><span>Braze requests</span><button id="add-example" type="button">Add as example</button></div>
    <div id="output"></div>
  </section>
</main>
</body>
</html>
`;
