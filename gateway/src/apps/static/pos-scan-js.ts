/**
 * The POS's card-less payment readers (vanilla, ES5 + async, no template literals):
 * - the camera reads the wallet QR a holder shows on a phone (frames decoded by jsQR, served
 *   beside this script), and
 * - Web NFC (Android Chrome, e.g. Sunmi POS terminals with a built-in reader) reads the card:
 *   its UID, and the SUN URL of an NTAG 424 so the gateway checks it like a terminal tap.
 * Exposes window.tbScan; the POS script decides what to do with what is read.
 */
export const POS_SCAN_JS = String.raw`
(function () {
  'use strict';
  var stream = null, timer = null, nfcAbort = null;

  function stop() {
    if (timer) { clearTimeout(timer); timer = null; }
    if (stream) { stream.getTracks().forEach(function (tr) { tr.stop(); }); stream = null; }
    if (nfcAbort) { nfcAbort.abort(); nfcAbort = null; }
  }

  // onCode(text) returns true when the code is the one wanted (scanning stops), false to go on
  async function qr(video, onCode) {
    stop();
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false });
    video.srcObject = stream;
    await video.play();
    var canvas = document.createElement('canvas');
    var ctx = canvas.getContext('2d', { willReadFrequently: true });
    function frame() {
      if (!stream) return;
      if (video.videoWidth) {
        canvas.width = video.videoWidth;
        canvas.height = video.videoHeight;
        ctx.drawImage(video, 0, 0);
        var img = ctx.getImageData(0, 0, canvas.width, canvas.height);
        var code = window.jsQR(img.data, img.width, img.height, { inversionAttempts: 'attemptBoth' });
        if (code && code.data && onCode(code.data)) { stop(); return; }
      }
      timer = setTimeout(frame, 100);
    }
    frame();
  }

  // NTAG 424 SUN mirror in the card's URL: encrypted (picc_data + cmac) or plain (uid + ctr + cmac)
  function sunOf(url) {
    try {
      var q = new URL(url).searchParams;
      if (q.get('picc_data') && q.get('cmac')) return { picc: q.get('picc_data'), cmac: q.get('cmac') };
      if (q.get('uid') && q.get('ctr') && q.get('cmac')) return { uid: q.get('uid'), ctr: q.get('ctr'), cmac: q.get('cmac') };
    } catch (e) {}
    return undefined;
  }

  async function nfc(onCard) {
    stop();
    nfcAbort = new AbortController();
    var reader = new window.NDEFReader();
    reader.onreading = function (ev) {
      var uid = String(ev.serialNumber || '').replace(/:/g, '').toUpperCase();
      var sun;
      var records = (ev.message && ev.message.records) || [];
      for (var i = 0; i < records.length; i++) {
        if (records[i].recordType === 'url' || records[i].recordType === 'absolute-url')
          sun = sunOf(new TextDecoder().decode(records[i].data));
      }
      onCard({ uid: uid, sun: sun });
    };
    await reader.scan({ signal: nfcAbort.signal });
  }

  window.tbScan = { qr: qr, nfc: nfc, stop: stop, nfcAvailable: 'NDEFReader' in window };
})();
`;
