/**
 * Everything the page runs is the bundle served beside it: no inline script, no other
 * origin. CodeMirror writes its themes into `<style>` elements of its own (style-mod) and
 * takes a nonce for them (`EditorView.cspNonce`): the one inline style allowed is the one
 * carrying this response's nonce, which the bundle reads from the page's `<meta>`. Any other
 * inline `<style>` or `style=""` is refused (and logged).
 */
export function playgroundCsp(nonce: string): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    `style-src 'self' 'nonce-${nonce}'`,
    "connect-src 'self'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** A fresh nonce per response: the page is never cached (Cache-Control: no-store). */
export const playgroundPage = (nonce: string) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="style-nonce" content="${nonce}">
<link rel="icon" href="data:,">
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
