// "Scan a badge" on the exhibitor's leads page (templates/exhibitor/leads.html). The phone's camera reads the
// badge's QR code with the reader of the check-in page (ZXing as WebAssembly, static/vendor/), and its text is
// sent as the page's form sends a typed code. The server judges the badge as the check-in door does (signature,
// revocation), applies the attendee's consent, and answers with the result and the list, which replace those
// of the page; the camera stays on for the next visitor. Without this script the typed code still works.
const scanner = document.getElementById("lead-scanner");
const zxing = window.BarcodeDetectionAPI;

if (scanner && zxing && navigator.mediaDevices) {
  const form = document.getElementById("lead-form");
  const results = document.getElementById("lead-results");
  const button = scanner.querySelector("button");
  const video = scanner.querySelector("video");
  const status = scanner.querySelector("[role=status]");
  const say = (name) => (status.textContent = scanner.dataset[name] || "");
  const csrf = JSON.parse(document.body.getAttribute("hx-headers") || "{}")["x-csrftoken"] || "";
  let last = ""; // the badge in view is read many times a second: sent once, until another badge is read
  scanner.hidden = false;

  const reader = () =>
    zxing.prepareZXingModule({
      overrides: { locateFile: (path, prefix) => (path.endsWith(".wasm") ? `/static/vendor/${path}` : prefix + path) },
      equalityFn: Object.is, // a new attempt on each click, not the promise of a failed one
      fireImmediately: true,
    });

  async function send(code) {
    const body = new URLSearchParams(new FormData(form));
    body.set("code", code);
    let response;
    try {
      response = await fetch(form.action, {
        method: "POST",
        body,
        headers: { "HX-Request": "true", "x-csrftoken": csrf },
        credentials: "same-origin",
      });
    } catch {
      last = ""; // not sent: the same badge may be tried again
      say("tNetwork");
      return;
    }
    if (response.redirected) {
      location.assign(response.url); // signed out meanwhile: the sign-in page, which comes back here
      return;
    }
    const html = await response.text();
    if ([200, 201, 404, 422].includes(response.status)) {
      results.innerHTML = html; // the result (with the person, if they share their details) and the list
      say("tLooking");
    } else {
      const page = new DOMParser().parseFromString(html, "text/html");
      status.textContent = page.querySelector("main p")?.textContent || response.statusText;
    }
  }

  button.addEventListener("click", async () => {
    let detector;
    try {
      await reader();
      detector = new zxing.BarcodeDetector({ formats: ["qr_code"] });
    } catch {
      say("tReaderMissing");
      return;
    }
    try {
      video.srcObject = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
      video.hidden = false;
      button.hidden = true;
      await video.play();
    } catch {
      say("tCameraError");
      return;
    }
    say("tLooking");
    scanner.scrollIntoView({ block: "start" }); // the camera, and the answer below it, in view
    const look = async () => {
      try {
        const [found] = await detector.detect(video);
        if (found && found.rawValue !== last) {
          last = found.rawValue;
          await send(found.rawValue);
        }
      } catch {
        /* a frame that could not be read: the next one */
      }
      setTimeout(look, 200);
    };
    look();
  });
}
