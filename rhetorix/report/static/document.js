/* rhetorix document report: sentence panel, keyboard moves between flagged sentences.
   Text reaches the page only through textContent, never innerHTML. */
(function () {
  var root = document.currentScript && document.currentScript.parentNode;
  if (!root) { return; }
  var panel = root.querySelector('.rhx-panel-body');
  var flagged = Array.prototype.slice.call(root.querySelectorAll('.rhx-s[tabindex]'));
  var toggle = root.querySelector('.rhx-label-toggle');
  var article = root.querySelector('.rhx-article');
  if (toggle) {
    toggle.addEventListener('change', function () { article.classList.toggle('rhx-labels-on', toggle.checked); });
  }
  function pct(x) { return Math.round(parseFloat(x) * 100) + '%'; }
  function add(parent, tag, text) {
    var el = document.createElement(tag); el.textContent = text; parent.appendChild(el); return el;
  }
  function show(s) {
    var d = s.dataset;
    panel.textContent = '';
    add(panel, 'p', 'Sentence ' + d.n + (d.flags ? ': ' + d.flags : '')).className = 'rhx-panel-title';
    var dl = add(panel, 'dl', '');
    add(dl, 'dt', 'Opinion'); add(dl, 'dd', pct(d.op));
    add(dl, 'dt', 'Causal claim'); add(dl, 'dd', pct(d.ca));
    add(dl, 'dt', 'Attribution');
    add(dl, 'dd', d.att + ' (named ' + pct(d.named) + ', vague ' + pct(d.vague) + ', none ' + pct(d.none) + ')');
    add(dl, 'dt', 'Unattributed causal'); add(dl, 'dd', pct(d.un));
    var tech = JSON.parse(d.tech || '[]');
    if (tech.length) {
      add(dl, 'dt', 'Persuasion techniques');
      add(dl, 'dd', tech.map(function (t) { return t[0] + ' ' + pct(t[1]); }).join(', '));
    }
    var sources = JSON.parse(d.sources || '[]');
    if (sources.length) {
      add(panel, 'p', 'Who says so:');
      var sl = add(panel, 'ul', '');
      sources.forEach(function (r) {
        add(sl, 'li', '\u201c' + r[0] + '\u201d' + (r[3] ? ' (= ' + r[3] + ')' : '') + ', ' + r[1] +
            ' source' + (r[2] ? ', verb \u201c' + r[2] + '\u201d' : ''));
      });
    }
    var cues = JSON.parse(d.cues || '[]');
    if (!cues.length) { add(panel, 'p', 'No cues in this sentence.'); return; }
    add(panel, 'p', 'Why (cues):');
    var ul = add(panel, 'ul', '');
    cues.forEach(function (c) { add(ul, 'li', c[0] + ': \u201c' + c[1] + '\u201d'); });
  }
  function pick(e) {
    var s = e.target.closest ? e.target.closest('.rhx-s') : null;
    if (s && root.contains(s)) { show(s); }
  }
  root.addEventListener('mouseover', pick);
  root.addEventListener('focusin', pick);
  root.addEventListener('click', pick);
  root.querySelectorAll('.rhx-chart [data-target]').forEach(function (bar) {
    bar.addEventListener('click', function () {
      var s = root.querySelector('#' + bar.getAttribute('data-target'));
      if (s) { s.scrollIntoView({block: 'center'}); show(s); }
    });
  });
  document.addEventListener('keydown', function (e) {
    if (e.altKey || e.ctrlKey || e.metaKey || !flagged.length) { return; }
    var active = document.activeElement;
    if (active && /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName)) { return; }
    var mine = root.contains(active);
    if (!mine && document.querySelector('.rhx-report') !== root) { return; }
    var step = {j: 1, n: 1, k: -1, p: -1}[e.key];
    if (!step) { return; }
    var i = mine ? flagged.indexOf(active) : -1;
    var next = i < 0 ? (step > 0 ? 0 : flagged.length - 1) : i + step;
    if (next < 0 || next >= flagged.length) { return; }
    flagged[next].focus();
    flagged[next].scrollIntoView({block: 'center'});
    e.preventDefault();
  });
})();
