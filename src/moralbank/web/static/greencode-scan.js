// Green-code scanner: reads the QR from the camera or a local image with jsQR (served locally), then
// asks /api/greencode/verify. Shows only the tier and the masked name. Its words come from the page
// (#scan-words), in the page's language.
(function () {
  "use strict";
  const result = document.getElementById("result");
  const video = document.getElementById("camera");
  const canvas = document.getElementById("frame");
  const words = JSON.parse(document.getElementById("scan-words").textContent);
  const lang = document.documentElement.lang;
  let busy = false;

  // A verdict on a code (valid or not: data-valid) or, with valid undefined, a problem reading one.
  function show(valid, label, strong, rest) {
    result.innerHTML = "";
    const p = document.createElement("p");
    p.className = "verdict " + (valid ? "ok" : "bad");
    if (valid !== undefined) p.dataset.valid = valid ? "1" : "0";
    p.append(label);
    if (strong) {
      const b = document.createElement("strong");
      b.textContent = strong;
      p.append(b);
    }
    if (rest) p.append(rest);
    result.appendChild(p);
  }

  async function check(text) {
    if (busy) return;
    busy = true;
    try {
      const r = await fetch("/api/greencode/verify?lang=" + encodeURIComponent(lang), {
        method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify({text: text})});
      if (!r.ok) throw new Error("HTTP " + r.status);
      const v = await r.json();
      if (v.valid) show(true, words.valid, v.tier_name, v.masked_name ? " · " + v.masked_name : "");
      else show(false, words.invalid + v.reason_text);
    } catch (e) {
      show(undefined, words.unreachable);
    } finally {
      busy = false;
    }
  }

  function decode(source, width, height) {
    canvas.width = width;
    canvas.height = height;
    const ctx = canvas.getContext("2d", {willReadFrequently: true});
    ctx.drawImage(source, 0, 0, width, height);
    const data = ctx.getImageData(0, 0, width, height);
    return window.jsQR(data.data, width, height);
  }

  // Why the camera did not open, in words for the person at the counter (not the browser's error name).
  function cameraProblem(error) {
    if (!navigator.mediaDevices) return window.isSecureContext ? words.no_camera : words.camera_insecure;
    switch (error && error.name) {
      case "NotFoundError":
      case "OverconstrainedError":
        return words.no_camera;
      case "NotAllowedError":
      case "SecurityError":
        return words.camera_denied;
      default:
        return words.camera_failed;
    }
  }

  document.getElementById("local-image").addEventListener("change", function (ev) {
    const file = ev.target.files[0];
    if (!file) return;
    const img = new Image();
    img.onload = function () {
      const found = decode(img, img.naturalWidth, img.naturalHeight);
      if (found) check(found.data); else show(undefined, words.no_code);
      URL.revokeObjectURL(img.src);
    };
    img.onerror = function () {
      show(undefined, words.no_code);
      URL.revokeObjectURL(img.src);
    };
    img.src = URL.createObjectURL(file);
  });

  document.getElementById("start-camera").addEventListener("click", async function () {
    try {
      const stream = await navigator.mediaDevices.getUserMedia({video: {facingMode: "environment"}});
      video.srcObject = stream;
      video.hidden = false;
      await video.play();
      const tick = function () {
        if (video.readyState === video.HAVE_ENOUGH_DATA) {
          const found = decode(video, video.videoWidth, video.videoHeight);
          if (found && found.data.startsWith("MB1:")) check(found.data);
        }
        requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    } catch (e) {
      show(undefined, cameraProblem(e));
    }
  });
})();
