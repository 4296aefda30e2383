// Green-code scanner: reads the QR from the camera or a local image with jsQR (served locally), then
// asks /api/greencode/verify. Shows only the tier and the masked name.
(function () {
  "use strict";
  const result = document.getElementById("result");
  const video = document.getElementById("camera");
  const canvas = document.getElementById("frame");
  let busy = false;

  function show(ok, text) {
    result.innerHTML = "";
    const p = document.createElement("p");
    p.className = "verdict " + (ok ? "ok" : "bad");
    p.dataset.valid = ok ? "1" : "0";
    p.textContent = text;
    result.appendChild(p);
  }

  async function check(text) {
    if (busy) return;
    busy = true;
    try {
      const r = await fetch("/api/greencode/verify", {
        method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify({text: text})});
      const v = await r.json();
      if (v.valid) show(true, "✓ " + v.tier_name + (v.masked_name ? " · " + v.masked_name : ""));
      else show(false, "✗ " + v.reason);
    } catch (e) {
      show(false, "✗ " + e);
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

  document.getElementById("local-image").addEventListener("change", function (ev) {
    const file = ev.target.files[0];
    if (!file) return;
    const img = new Image();
    img.onload = function () {
      const found = decode(img, img.naturalWidth, img.naturalHeight);
      if (found) check(found.data); else show(false, "✗ no QR code found");
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
      show(false, "✗ camera: " + e);
    }
  });
})();
