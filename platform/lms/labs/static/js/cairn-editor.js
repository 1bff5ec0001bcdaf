/*
 * The lab editor: CairnEditor.attach(textarea) turns the notebook's <textarea> into
 * CodeMirror 5 (vendored under vendor/codemirror-*, Python mode, line numbers, 4-space
 * indents) and shades the blanks: the lines between "### START CODE HERE ###" and
 * "### END CODE HERE ###" (class cairn-blank), the marker lines themselves (cairn-blank-marker).
 * The textarea stays the form field; without JavaScript, or if CodeMirror did not load,
 * attach returns null and the plain textarea is the editor.
 *
 * Keyboard: Tab indents (the selection, or up to the next 4-space stop), Shift+Tab
 * unindents; Esc then Tab (or Shift+Tab) leaves the editor, so focus is never trapped.
 */
(function () {
  "use strict";
  var START = /^\s*### START CODE HERE ###/;
  var END = /^\s*### END CODE HERE ###/;
  var BLANK = "cairn-blank", MARKER = "cairn-blank-marker";
  var MODIFIERS = {Shift: true, Control: true, Alt: true, Meta: true};

  function hasClass(info, cls) {
    return (" " + (info.bgClass || "") + " ").indexOf(" " + cls + " ") >= 0;
  }

  // Give every line the class it should have; touch only the lines that change.
  function markBlanks(cm) {
    cm.operation(function () {
      var inside = false;
      cm.eachLine(function (line) {
        var want = null;
        if (START.test(line.text)) { want = MARKER; inside = true; }
        else if (END.test(line.text)) { want = MARKER; inside = false; }
        else if (inside) want = BLANK;
        var info = cm.lineInfo(line);
        [BLANK, MARKER].forEach(function (cls) {
          var has = hasClass(info, cls);
          if (cls === want && !has) cm.addLineClass(line, "background", cls);
          if (cls !== want && has) cm.removeLineClass(line, "background", cls);
        });
      });
    });
  }

  function indent(cm) {
    if (cm.somethingSelected()) { cm.indentSelection("add"); return; }
    var unit = cm.getOption("indentUnit");
    var col = cm.getCursor().ch;
    cm.replaceSelection(new Array(unit - (col % unit) + 1).join(" "), "end", "+input");
  }

  function attach(textarea) {
    if (typeof window.CodeMirror !== "function" || !textarea) return null;
    var label = document.querySelector('label[for="' + textarea.id + '"]');
    var cm = window.CodeMirror.fromTextArea(textarea, {
      mode: "python",
      lineNumbers: true,
      indentUnit: 4,
      tabSize: 4,
      indentWithTabs: false,
      viewportMargin: Infinity,   // every line rendered (find in page works); the box scrolls (lab.css)
      inputStyle: "contenteditable",  // better with screen readers than the hidden-textarea input
      spellcheck: false,
      extraKeys: {"Tab": indent, "Shift-Tab": "indentLess"}
    });
    var input = cm.getInputField();
    input.setAttribute("role", "textbox");
    input.setAttribute("aria-multiline", "true");
    if (label) {
      if (label.id) input.setAttribute("aria-labelledby", label.id);
      label.addEventListener("click", function (e) { e.preventDefault(); cm.focus(); });
    }
    var legend = document.getElementById("blank-legend");
    if (legend) {
      legend.hidden = false;
      input.setAttribute("aria-describedby", legend.id);
    }

    // Esc then Tab: let the browser move focus (CodeMirror ignores the event, nothing is typed).
    var escaped = false;
    cm.on("keydown", function (_cm, e) {
      if (MODIFIERS[e.key]) return;
      if (e.key === "Escape") { escaped = true; return; }
      if (e.key === "Tab" && escaped) e.codemirrorIgnore = true;
      escaped = false;
    });
    cm.on("blur", function () { escaped = false; });

    cm.on("changes", markBlanks);
    markBlanks(cm);
    return cm;
  }

  window.CairnEditor = {attach: attach};
})();
