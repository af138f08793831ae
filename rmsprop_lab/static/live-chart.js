// The live charts' browser side (rmsprop_lab/chart_component.py): an ES module served beside
// plotly.js, imported once per page load by the small loader each chart element carries. Its
// default export runs on every mount and every new figure, with the same parentElement for as
// long as the element keeps its key.
const PLOTLY_URL = new URL("plotly-basic.min.js", import.meta.url).href;

function loadPlotly() {
  if (!window.__rmspropLabPlotly) {
    window.__rmspropLabPlotly = window.Plotly
      ? Promise.resolve(window.Plotly)
      : new Promise((resolve, reject) => {
          const script = document.createElement("script");
          script.src = PLOTLY_URL;
          script.async = true;
          script.onload = () => resolve(window.Plotly);
          script.onerror = () => {
            window.__rmspropLabPlotly = null;  // a later chart may try again
            reject(new Error("plotly.js did not load"));
          };
          document.head.appendChild(script);
        });
  }
  return window.__rmspropLabPlotly;
}

// Full screen, for projecting a chart in class: a mode-bar button; the chart then fills the screen
// (a new figure drawn meanwhile keeps filling it) and gets its own size back on leaving.
const FULL_SCREEN_ICON = {
  width: 1000,
  height: 1000,
  path: "M0 0h380v110H110v270H0zM620 0h380v380H890V110H620zM0 620h110v270h270v110H0zM890 620h110v380H620V890h270z",
};

// Presentation mode: the page's first chart is as tall as the screen, less Streamlit's header and
// the playback bar above the chart.
const PRESENT_CHROME_PX = 120;
const PRESENT_MIN_HEIGHT_PX = 360;
// the page's first chart, drawn here or by st.plotly_chart (Compare's 3-D view comes before its live
// charts); Streamlit gives a chart's container the class stPrintGraphic at once, before its
// plotly.js has loaded (test_in_the_3d_view_the_loss_chart_is_not_taken_for_the_main_chart)
const firstChart = () => document.querySelector(".live-chart, .stPrintGraphic");

function fitToScreen(chart, layout, data = []) {
  if (document.fullscreenElement === chart) return { ...layout, width: window.innerWidth, height: window.innerHeight };
  if (presentedFirst(chart)) {
    const room = PRESENT_CHROME_PX + (chart.__figure.presentRoomAbove || 0);
    const height = Math.max(PRESENT_MIN_HEIGHT_PX, window.innerHeight - room);
    chart.style.minHeight = height + "px";  // the room reserved for the figure's own height, replaced
    const fitted = chart.__legendRoom?.key === legendRoomKey(chart, layout, data) ? chart.__legendRoom.top : null;
    return { ...layout, height, ...(fitted === null ? {} : { margin: { ...layout.margin, t: fitted } }) };
  }
  return layout;
}

const presentedFirst = (chart) => Boolean(chart.__figure?.present) && chart === firstChart();

// Presentation: a figure's fixed top margin leaves room for its legend wrapped onto several rows
// (a phone); on a projector the legend takes fewer, and the rows it leaves empty go to the plot;
// where it takes more, the margin grows to them.
// Measured once drawn, then kept for later figures with the same legend, margin and width.
const LEGEND_ROOM_SPARE_PX = 8;
function legendRoomKey(chart, layout, data) {
  const names = data.filter((trace) => trace.showlegend !== false).map((trace) => trace.name);
  return JSON.stringify([names, layout.margin?.t, chart.clientWidth]);
}
function fitLegendRoom(Plotly, chart, shown) {
  if (!presentedFirst(chart) || document.fullscreenElement === chart || !chart._fullLayout) return;
  const legend = chart.querySelector(".legend"), svg = chart.querySelector("svg.main-svg");
  if (!legend || !svg) return;
  const title = chart.querySelector(".gtitle");
  const titleBox = title?.getBoundingClientRect();
  let above = titleBox?.height ? titleBox.bottom : svg.getBoundingClientRect().top;
  // the mode bar, shown under the pointer, keeps its room above legend entries it would cover
  const bar = chart.querySelector(".modebar")?.getBoundingClientRect();
  const entries = Array.from(legend.querySelectorAll(".traces"), (entry) => entry.getBoundingClientRect());
  if (bar?.width && entries.some((entry) => entry.right > bar.left)) above = Math.max(above, bar.bottom);
  // negative: the legend wraps onto more rows than the margin holds (a phone's width at the projected
  // font), and its first rows were cut off above the chart: the margin grows to hold them
  const spare = legend.getBoundingClientRect().top - above - LEGEND_ROOM_SPARE_PX;
  if (spare >= -LEGEND_ROOM_SPARE_PX && spare < 2 * LEGEND_ROOM_SPARE_PX) return;
  const key = legendRoomKey(chart, shown.layout, shown.data);
  chart.__legendRoom = { key, top: Math.round(chart._fullLayout.margin.t - spare) };
  Plotly.relayout(chart, { "margin.t": chart.__legendRoom.top });
}

// plotly's mode bar, shown while the pointer is over a chart, sits in its top right corner, over a
// long title's end (a step-size chart's on a desktop or a projector): it moves down, under the
// title's line, when the title reaches under it
const MODE_BAR_GAP_PX = 4;
function placeModeBar(chart) {
  const container = chart.querySelector(".modebar-container"), bar = container?.querySelector(".modebar");
  if (!bar) return;
  // measured first and written once, if at all: a write between reads would lay the page out again
  const title = chart.querySelector(".gtitle")?.getBoundingClientRect();
  const covered = title?.width && title.right + MODE_BAR_GAP_PX >= bar.getBoundingClientRect().left;
  const above = (container.offsetParent || chart).getBoundingClientRect().top;  // the top it is placed from
  const top = covered ? `${Math.ceil(title.bottom - above) + MODE_BAR_GAP_PX}px` : "";
  if (container.style.top !== top) container.style.top = top;
}

// one object for every draw: Plotly.react compares configs, and a new button (a new click
// function) would count as a new config and redraw from scratch, losing the zoom
const FULL_SCREEN_BUTTON = {
  name: "Full screen",
  title: "Full screen (Esc to leave)",
  icon: FULL_SCREEN_ICON,
  click: (chart) => (document.fullscreenElement ? document.exitFullscreen() : chart.requestFullscreen()),
};

// Presentation mode's keys, for a teacher at a projector: Space plays or pauses the first chart
// with a playback, ← / → step it, F shows the page's first chart full screen. A key that means
// something to the focused control (a slider's arrows, a button's Space) is left to it.
const OWN_KEYS = "input, textarea, select, [contenteditable], [role=slider], [role=combobox], [role=listbox], "
  + "[role=option], [role=radio], [role=radiogroup], [role=tab], [role=spinbutton]";
const OWN_SPACE = `${OWN_KEYS}, button, a, [role=button], [role=switch], [role=checkbox]`;
function presentationKeys(event) {
  const main = document.querySelector(".live-chart");
  if (!main?.__figure?.present || event.ctrlKey || event.metaKey || event.altKey) return;
  const mainIsLive = main === firstChart();
  const key = event.key === "f" ? "F" : event.key;
  const focused = event.target instanceof Element ? event.target : null;
  if (focused?.closest(key === " " ? OWN_SPACE : OWN_KEYS)) return;
  const played = Array.from(document.querySelectorAll(".live-chart")).find((chart) => chart.__playback);
  if (key === " " && played) played.__playback.button.click();
  else if (key === " " && mainIsLive && main.__figure.frames?.length) flyOrPause(main);
  else if (key === "ArrowLeft" && played) played.__playback.stepBy(-1);
  else if (key === "ArrowRight" && played) played.__playback.stepBy(1);
  else if (key === "F" && mainIsLive) FULL_SCREEN_BUTTON.click(main);
  else return;
  event.preventDefault();
}
// A figure with plotly's own animation (the mission's ▶ Fly / ❚❚, clicked or pressed as Space):
// chart.__flying follows the buttons, Space and the last frame, not plotly_animated, which a
// stopped flight may send a frame later.
function flightButtons(chart) {
  const [play, pause] = shownVariant(chart).layout.updatemenus?.[0]?.buttons || [];
  return play && pause ? { play, pause } : null;
}
function followFlights(chart) {
  chart.on("plotly_buttonclicked", (event) => {
    const buttons = flightButtons(chart);
    if (buttons && event.button?.label === buttons.play.label) chart.__flying = true;
    if (buttons && event.button?.label === buttons.pause.label) chart.__flying = false;
  });
  chart.on("plotly_animatingframe", (event) => {
    if (event.name === shownVariant(chart).frames?.at(-1)?.name) chart.__flying = false;
  });
}
function pressFlightButton(chart, which) {
  const buttons = flightButtons(chart);
  if (buttons) window.Plotly.animate(chart, ...buttons[which].args).catch(() => {});  // rejected when stopped
}
function flyOrPause(chart) {
  if (!flightButtons(chart)) return;
  chart.__flying = !chart.__flying;
  pressFlightButton(chart, chart.__flying ? "play" : "pause");
}
document.addEventListener("keydown", presentationKeys);

// The images a chart saves: plotly draws them anew from the chart's data (a paused playback, a
// path hidden from the legend) with its path dots as plotly markers again, and its current layout.
// PNG replaces the mode bar's own camera; SVG is for slides and print. Made once after plotly.js
// has loaded, for the same reason as the full-screen button.
let imageButtons = null;
function imageDownloadButtons(Plotly) {
  const save = (format, scale) => (chart) => Plotly.downloadImage(
    { data: chart.data.map(withPlotlyDots), layout: chart.layout },
    { format, scale, width: chart._fullLayout.width, height: chart._fullLayout.height, filename: "rmsprop-lab-chart" },
  );
  imageButtons ||= [
    { name: "Download PNG", title: "Download plot as a PNG", icon: Plotly.Icons.camera, click: save("png", 2) },
    { name: "Download SVG", title: "Download plot as an SVG", icon: Plotly.Icons.camera, click: save("svg", 1) },
  ];
  return imageButtons;
}
function withFullScreenButton(Plotly, config) {
  if (config.displayModeBar === false) return config;
  const added = [...(config.modeBarButtonsToAdd || []), ...imageDownloadButtons(Plotly), FULL_SCREEN_BUTTON];
  const removed = [...(config.modeBarButtonsToRemove || []), "toImage"];
  return { ...config, modeBarButtonsToAdd: added, modeBarButtonsToRemove: removed };
}

// Path dots: a path with a dot at every step (meta "path", mode "lines+markers") goes to plotly as
// its line alone, and the browser puts the dots on the line's vertices as SVG markers: one element
// a path where plotly draws one per step (four 200-step paths cost about 50 ms more a redraw).
// Every trace is a copy: plotly's restyles (playback, legend clicks) change the chart's own data,
// and a redraw starts again from the server's figure (full screen, another width). So
// are its points given as typed-array specs ({dtype, bdata}): Plotly.animate merges a new figure's
// traces into the chart's own in place, specs included.
function withVertexDots(data) {
  return data.map((plain) => {
    const trace = { ...plain };
    for (const key of POINT_KEYS) {
      if (trace[key] && typeof trace[key] === "object" && !Array.isArray(trace[key])) trace[key] = { ...trace[key] };
    }
    if (trace.meta !== "path" || trace.mode !== "lines+markers") return trace;
    const vertexDot = { size: trace.marker?.size ?? 6, colour: trace.marker?.color ?? trace.line.color };
    // plotly leaves out the vertices of a line that lie on it straight (simplify), and with them their dots
    return { ...trace, mode: "lines", line: { ...trace.line, simplify: false }, vertexDot };
  });
}
function withPlotlyDots(trace) {
  if (!trace.vertexDot) return trace;
  const { vertexDot, ...plain } = trace;
  return { ...plain, mode: "lines+markers", line: { ...trace.line, simplify: true } };
}
// the SVG group plotly draws trace ``index`` of the chart in, or undefined
function traceGroup(chart, index) {
  return Array.from(chart.querySelectorAll(".scatterlayer .trace")).find(
    (g) => g.__data__ && g.__data__[0] && g.__data__[0].trace.index === index,
  );
}

let dotCharts = 0;
const DOT_ENDS = ["marker-start", "marker-mid", "marker-end"];
function drawVertexDots(chart) {
  const defs = chart.querySelector("svg.main-svg > defs");
  if (!defs || !chart.data) return;
  chart.__dotsId ??= ++dotCharts;
  const linesOf = (index) => Array.from(traceGroup(chart, index)?.querySelectorAll("path.js-line") || []);
  chart.data.forEach((trace, index) => {
    if (!trace.vertexDot) {  // plotly reuses a trace's elements: a path now too long for dots loses them
      for (const line of linesOf(index)) for (const end of DOT_ENDS) line.removeAttribute(end);
      return;
    }
    const id = `rmsl-dot-${chart.__dotsId}-${index}`;
    let marker = defs.querySelector(`#${id}`);
    if (!marker) {
      marker = document.createElementNS("http://www.w3.org/2000/svg", "marker");
      marker.id = id;
      marker.appendChild(document.createElementNS("http://www.w3.org/2000/svg", "circle"));
      defs.appendChild(marker);
    }
    const { size, colour } = trace.vertexDot;
    const attributes = {
      markerUnits: "userSpaceOnUse", markerWidth: size, markerHeight: size, refX: 0, refY: 0,
      viewBox: `${-size / 2} ${-size / 2} ${size} ${size}`, overflow: "visible",
    };
    for (const [name, value] of Object.entries(attributes)) marker.setAttribute(name, value);
    marker.firstChild.setAttribute("r", size / 2);
    marker.firstChild.setAttribute("fill", colour);
    for (const line of linesOf(index)) for (const end of DOT_ENDS) line.setAttribute(end, `url(#${id})`);
  });
}

// Playback (a figure with "playback"): the paths grow step by step with a moving marker, animated
// here from the data the chart already has, so no frame costs a rerun. Path lines carry meta
// "path", their start/now markers meta "path-marker".
const SPEEDS = [0.5, 1, 2, 4];
const SECONDS_AT_1X = 6;
function playbackControls(Plotly, chart) {
  const bar = document.createElement("div");
  bar.className = "live-chart-playback";
  bar.setAttribute("data-testid", "playback");
  const button = document.createElement("button");
  button.type = "button";
  button.setAttribute("aria-label", "Play");
  button.textContent = "▶";
  const speed = document.createElement("select");
  speed.setAttribute("aria-label", "Playback speed");
  for (const factor of SPEEDS) {
    const option = document.createElement("option");
    option.value = String(factor);
    option.textContent = `${factor}×`;
    option.selected = factor === 1;
    speed.appendChild(option);
  }
  const readout = document.createElement("span");
  readout.setAttribute("data-testid", "playbackStep");
  bar.append(button, speed, readout);
  chart.parentElement.insertBefore(bar, chart);
  const state = { frame: null, step: null, bar, button, readout, speed };
  chart.__playback = state;

  function pathsOf() {
    // read once per figure: the playback itself shortens the drawn paths (a pause, then play or a step)
    if (state.paths?.figure === chart.__figure) return state.paths;
    const lines = [], markers = [];
    chart._fullData.forEach((trace, index) => {
      if (trace.meta === "path") lines.push({ index, x: Array.from(trace.x), y: Array.from(trace.y) });
      if (trace.meta === "path-marker") markers.push(index);
    });
    state.paths = { figure: chart.__figure, lines, markers };
    return state.paths;
  }
  // each path's points up to step, and its start and "now" markers' places
  function grown(paths, step) {
    const xs = [], ys = [], mx = [], my = [];
    for (const line of paths.lines) {
      const last = Math.min(step, line.x.length - 1);
      xs.push(line.x.slice(0, last + 1));
      ys.push(line.y.slice(0, last + 1));
      mx.push([line.x[0], line.x[last]]);
      my.push([line.y[0], line.y[last]]);
    }
    return { xs, ys, mx, my, markers: paths.markers.length === paths.lines.length };
  }
  function show(paths, step) {
    const { xs, ys, mx, my, markers } = grown(paths, step);
    Plotly.restyle(chart, { x: xs, y: ys }, paths.lines.map((line) => line.index));
    if (markers) Plotly.restyle(chart, { x: mx, y: my }, paths.markers);
    readout.textContent = `step ${step} / ${state.steps}`;
  }
  // the figure's data as the playback shows them at step: a redraw of the same figure keeps them
  state.dataAt = (data, step) => {
    const paths = pathsOf();
    const { xs, ys, mx, my, markers } = grown(paths, step);
    const lines = paths.lines.map((line, k) => [line.index, { x: xs[k], y: ys[k] }]);
    const ends = markers ? paths.markers.map((index, k) => [index, { x: mx[k], y: my[k] }]) : [];
    return withTracesChanged(data, [...lines, ...ends]);
  };
  state.stop = () => {
    if (state.frame !== null) cancelAnimationFrame(state.frame);
    state.frame = null;
    button.textContent = "▶";
    button.setAttribute("aria-label", "Play");
  };
  button.addEventListener("click", () => {
    if (state.frame !== null) return state.stop();
    const paths = pathsOf();
    if (!paths.lines.length) return;
    const steps = state.steps;
    let from = state.step === null || state.step >= steps ? 0 : state.step;
    let began = null;  // the first frame's time: a late first frame must not skip the start
    button.textContent = "❚❚";
    button.setAttribute("aria-label", "Pause");
    const tick = (now) => {
      began ??= now;
      const perStep = (SECONDS_AT_1X * 1000) / Number(speed.value) / steps;
      const step = Math.min(steps, from + Math.floor((now - began) / perStep));
      if (step !== state.step) {
        state.step = step;
        show(paths, step);
      }
      state.frame = step < steps ? requestAnimationFrame(tick) : null;
      if (state.frame === null) state.stop();
    };
    state.frame = requestAnimationFrame(tick);
  });
  // one step back or on (presentation mode's arrow keys); at the end, → starts over as ▶ does
  state.stepBy = (delta) => {
    const paths = pathsOf();
    if (!paths.lines.length) return;
    state.stop();
    let from = state.step ?? state.steps;
    if (delta > 0 && from >= state.steps) from = 0;
    state.step = Math.max(0, Math.min(state.steps, from + delta));
    show(paths, state.step);
  };
  return state;
}

// Selection: a click on a point (clickmode "select") or a box reports the picked points, as
// st.plotly_chart's on_select="rerun" does; a box that picks nothing and a deselection report nothing.
function reportSelections(chart) {
  if (chart.__reportsSelections) return;
  chart.__reportsSelections = true;
  chart.on("plotly_selected", (event) => {
    if (!chart.__figure?.select || !chart.__setTrigger || !event?.points?.length) return;
    const points = event.points.map((point) => ({ curve_number: point.curveNumber, point_index: point.pointIndex }));
    chart.__setTrigger("selection", { points, box: event.range ? [event.range] : [] });
  });
}

// A figure may carry the variant a narrow screen shows (``narrow``: its data, layout and frames, and
// the width in pixels it is for, "below"), such as a projector's map with its colour bar beside it,
// whose phone variant has the bar under the map.
function shownVariant(chart) {
  const figure = chart.__figure, narrow = figure.narrow;
  const width = chart.clientWidth;  // read once: this runs on every frame of a flight
  const shown = narrow && width < narrow.below ? { ...figure, ...narrow } : figure;
  if (!shown.data.some((trace) => narrowColourbarShown(width, trace))) return shown;
  return { ...shown, data: shown.data.map((trace) => withNarrowColourbar(width, trace)) };
}

// A map's colour bar may carry the one a narrow chart shows (its meta.narrowColourbar: the width in
// pixels it is for, "below", and the bar, with fewer labels), where the wide one's ran into each other.
const narrowColourbarShown = (width, trace) => width < trace.meta?.narrowColourbar?.below;
function withNarrowColourbar(width, trace) {
  if (!narrowColourbarShown(width, trace)) return trace;
  return { ...trace, marker: { ...trace.marker, colorbar: trace.meta.narrowColourbar.colorbar } };
}

// the widths at which a figure's drawing changes (its narrow variant, a narrow colour bar)
function variantWidths(figure) {
  const traces = [...(figure.data || []), ...(figure.narrow?.data || [])];
  const colourbars = traces.map((trace) => trace.meta?.narrowColourbar?.below);
  return [figure.narrow?.below, ...colourbars].filter((below) => below !== undefined);
}

// Plotly measures every tick label on every draw to hide one that would stick out of the chart
// ("ticklabeloverflow"); the fixed margins leave room for the labels, so that check is left out.
// a layout's key that names one of its 2-D axes
const AXIS_NAME = /^[xy]axis[0-9]*$/;
function withoutTickOverflowCheck(layout) {
  const unchecked = { ...layout };
  for (const name of Object.keys(layout)) {
    if (AXIS_NAME.test(name)) unchecked[name] = { ticklabeloverflow: "allow", ...layout[name] };
  }
  return unchecked;
}

// A new figure that differs from the drawn one only in some traces' points, on a chart whose axes
// all have given ranges (a map, a line chart: the server fits them), is drawn by Plotly.animate
// with no transition: it draws those traces alone, where Plotly.react draws the whole chart anew
// (axes, colour bar, legend, every trace). A chart whose axes plotly fits is drawn whole:
// Plotly.animate would keep their old ranges, and after Plotly.react with a transition they no
// longer fit.
const POINT_KEYS = ["x", "y", "customdata"];
const INSTANTLY = { transition: { duration: 0 }, frame: { duration: 0, redraw: false }, mode: "immediate" };
const fixedAxes = (layout) => Object.entries(layout).every(
  ([name, axis]) => !AXIS_NAME.test(name) || (Array.isArray(axis?.range) && axis.autorange !== true),
);
// what a draw was given, as text: everything but the traces' points, and the points of each trace
function drawnSignature(data, layout, config) {
  const pointsLeftOut = (trace) => function (key, value) {
    return this === trace && POINT_KEYS.includes(key) ? undefined : value;
  };
  return {
    rest: JSON.stringify([layout, config]),
    traces: data.map((trace) => JSON.stringify(trace, pointsLeftOut(trace))),
    points: data.map((trace) => JSON.stringify(POINT_KEYS.map((key) => trace[key] ?? null))),
  };
}
// the traces whose points alone changed since the chart's last draw, or null when anything else
// changed too (or the chart shows something other than that draw: a playback's later steps)
function changedPointsOnly(chart, before, after) {
  if (!before || !after || !chart._fullLayout || before.rest !== after.rest) return null;
  if (before.traces.length !== after.traces.length || before.traces.some((trace, i) => trace !== after.traces[i])) {
    return null;
  }
  const changed = after.points.map((points, i) => (points !== before.points[i] ? i : -1)).filter((i) => i >= 0);
  return changed.length ? changed : null;
}

// A figure's own data show a flight's ships at the start, and plotly keeps only the name of the
// frame on screen through Plotly.react: a redraw of the same figure draws that frame's places.
function atFrame(shown, name) {
  const frame = name == null ? null : shown.frames?.find((candidate) => candidate.name === name);
  if (!frame) return shown.data;
  // plotly's rule for a frame without "traces": its data are the first traces'
  const changes = (frame.data || []).map((trace, k) => [frame.traces ? frame.traces[k] : k, trace]);
  return withTracesChanged(shown.data, changes);
}

// data with each [index, changes] merged into a copy of that trace: the figure's own stay as they are
function withTracesChanged(data, changes) {
  const changed = data.slice();
  for (const [index, trace] of changes) if (changed[index]) changed[index] = { ...changed[index], ...trace };
  return changed;
}

// frameOnScreen: the name of the flight's frame on screen, read before a purge lost it
function draw(Plotly, chart, figure, frameOnScreen = chart._fullLayout?._currentFrame) {
  // a flight would outlive Plotly.react, beyond ❚❚'s reach: stopped with the drawn figure's ❚❚, and
  // flown on from the same frame once redrawn, unless ❚❚ or Space comes first
  const flying = chart.__flying;
  if (flying) pressFlightButton(chart, "pause");
  const sameFigure = chart.__figure === figure;
  chart.__figure = figure;
  const shown = shownVariant(chart);
  // the traces a scrub drew straight into the SVG are drawn again whatever changed
  const scrubbed = chart.__scrubOrigin === undefined ? [] : Array.from(chart.__scrubbedTraces || []);
  chart.__scrubOrigin = undefined;  // the figure is the server's again
  chart.__scrubbedTraces = undefined;
  clearTimeout(chart.__scrubRestore);
  const played = chart.__playback?.step != null;  // its paths are drawn shortened
  const playback = figure.playback ? chart.__playback || playbackControls(Plotly, chart) : null;
  // the same figure drawn again (full screen, a new width) goes on showing the step it was at, and
  // playing if it was; a new figure (a changed setting) shows its own state, and play starts over
  const playing = playback?.frame != null;  // between ▶ and its first tick, step is still null
  const replay = playback && sameFigure && (played || playing) ? { step: playback.step ?? 0, playing } : null;
  if (playback) {
    playback.stop();
    playback.steps = figure.playback.steps;
    if (!replay) {
      playback.step = null;
      playback.readout.textContent = "";
    }
  }
  // a new figure (a changed setting) flies anew from the start; the same one, from the frame on screen
  const frame = sameFigure && shown.frames?.length ? frameOnScreen : null;
  const figureData = atFrame(shown, frame);
  const data = withVertexDots(replay ? playback.dataAt(figureData, replay.step) : figureData);
  const layout = withoutTickOverflowCheck(fitToScreen(chart, shown.layout, shown.data));
  const config = withFullScreenButton(Plotly, figure.config || {});
  // a figure with frames (a flight) is always drawn whole: comparing its frames would cost more
  const signature = shown.frames?.length || !fixedAxes(layout) ? null : drawnSignature(data, layout, config);
  const changed = played ? null : changedPointsOnly(chart, chart.__drawnSignature, signature);
  chart.__drawnSignature = signature;
  // Plotly.animate may draw a frame later: while an older figure's points wait to be drawn, this
  // figure is drawn whole, and drawn whole again once they are (they would cover its own)
  const pendingAnimation = chart.__animation;
  const redrawn = !pendingAnimation && changed && [...new Set([...changed, ...scrubbed])];
  chart.dataset.drawing = "";  // until this figure is drawn
  const drawn = redrawn
    ? Plotly.animate(chart, { data: redrawn.map((i) => data[i]), traces: redrawn }, INSTANTLY)
    : Plotly.react(chart, { data, layout, frames: shown.frames, config });
  // where ▶ Fly goes on from (fromcurrent): after a purge, or for a new figure, plotly's own is wrong
  if (shown.frames?.length && chart._fullLayout) chart._fullLayout._currentFrame = frame ?? undefined;
  if (redrawn) {
    chart.__animation = drawn;
    const settled = () => { if (chart.__animation === drawn) chart.__animation = null; };
    drawn.then(settled, settled);
  } else if (pendingAnimation) {
    // drawn from the figure anew: plotly keeps the traces it was given, which the animation changes
    const again = () => { if (chart.__figure === figure) draw(Plotly, chart, figure); };
    pendingAnimation.then(again, again);
  }
  if (!chart.__plotlyHandlersSet) {  // once per plotly instance: a purge drops them
    chart.__plotlyHandlersSet = true;
    // a zoom, a playback frame or a new figure's points drew the lines anew
    chart.on("plotly_afterplot", () => {
      placeModeBar(chart);  // before the dots change the page
      drawVertexDots(chart);
    });
    chart.on("plotly_transitioned", () => drawVertexDots(chart));
    followFlights(chart);
  }
  drawVertexDots(chart);
  drawn.then(() => {
    if (chart.__figure !== figure || pendingAnimation) return;  // drawn again once that ends
    delete chart.dataset.drawing;
    fitLegendRoom(Plotly, chart, shown);
    if (flying && chart.__flying) pressFlightButton(chart, "play");
    if (replay?.playing && playback.frame === null) playback.button.click();  // on from its step
  }, () => {});  // an animation cut short by the next figure's draw, which shows that figure
  if (figure.select) reportSelections(chart);
}

// Scrubbing: a ladder payload (bytes starting "RMSL") holds one optimizer's paths, loss and step
// sizes at every value of one slider's ladder. While that slider moves (a drag, which Streamlit
// sends only on release, or a key), its position picks the row to swap into the charts, with no
// server round trip. Approaching a slider (pointer over it, or focus) asks the server for its
// ladder; the release then reruns the page as before, which draws the exact figures. A ladder is
// drawn only while its revision is the one the charts carry for its slider (scrubRevisions): a
// change of another setting since it came makes it stale, and it is asked for again.
const SCRUB = { header: null, setState: null, requested: null, revisions: {}, watched: new WeakSet() };
// tests and the bench read SCRUB.header and ask SCRUB.ready(setting) whether a drag of that slider
// would be drawn; window.__rmspropScrubLog, when they set it, gets each swap's times
window.__rmspropLabScrub = SCRUB;
SCRUB.ready = (setting) => Boolean(freshLadder(setting));

function asBytes(data) {
  if (data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data);
}

function isLadder(bytes) {
  return bytes.length >= 8 && bytes[0] === 82 && bytes[1] === 77 && bytes[2] === 83 && bytes[3] === 76;  // "RMSL"
}

function readLadderPayload(bytes) {
  const headLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(4, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headLength)));
  const ladder = header.ladder;
  if (ladder) {
    const floats = new Float32Array(bytes.slice(8 + headLength).buffer);  // a copy: aligned for Float32Array
    let at = 0;
    const take = (count) => floats.subarray(at, (at += count));
    const count = ladder.count, paths = ladder.pathSteps.length, lines = ladder.lineSteps.length;
    ladder.paths = take(count * 2 * paths);
    ladder.ends = take(count * 2);
    ladder.losses = take(count * lines);
    ladder.stepSizes = ladder.stepSteps ? take(count * 2 * ladder.stepSteps.length) : null;
    ladder.lineSteps = Float32Array.from(ladder.lineSteps);
    if (ladder.stepSteps) ladder.stepSteps = Float32Array.from(ladder.stepSteps);
  }
  return header;
}

function sliderAt(target) {
  const container = target && target.closest ? target.closest(".stElementContainer") : null;
  if (!container || !SCRUB.header) return null;
  for (const name of container.classList) {
    const setting = SCRUB.header.sliders[name];
    if (setting !== undefined) {
      const input = container.querySelector("input[type=range]");
      return input ? { setting, input } : null;
    }
  }
  return null;
}

function approach(event) {
  const found = sliderAt(event.target);
  if (!found) return;
  const { setting, input } = found;
  if (!SCRUB.watched.has(input)) {
    SCRUB.watched.add(input);
    // the slider's position while dragged: the hidden range input's value attribute
    new MutationObserver((records) => {
      scrubTo(setting, Number(input.getAttribute("value")), Number(records[0].oldValue));
    }).observe(input, { attributes: true, attributeFilter: ["value"], attributeOldValue: true });
  }
  if (!freshLadder(setting)) request(setting);
}

// the ladder held, when it is the one of this slider for the settings the charts show
function freshLadder(setting) {
  const ladder = SCRUB.header?.ladder;
  return ladder && ladder.setting === setting && ladder.revision === SCRUB.revisions[setting] ? ladder : null;
}

// asks once for this slider's ladder at the charts' revision (a new revision is a new request), or
// once more when pressed: a request sent with another widget's change in one message reruns only
// that widget's part of the page, never reaching the ladder's (each request is numbered, so it is
// a change of state however often it is repeated)
function request(setting, again = false) {
  const revision = SCRUB.revisions[setting] ?? null;
  const asked = requestKey(setting, revision);
  if ((SCRUB.requested === asked && !again) || !SCRUB.setState) return;
  SCRUB.requested = asked;
  SCRUB.asked = (SCRUB.asked || 0) + 1;
  SCRUB.setState("wanted", { setting, revision, ask: SCRUB.asked });
}

// what was last asked for, or last came: one slider's ladder at one revision
const requestKey = (setting, revision) => `${setting} ${revision}`;

function chartOf(key) {
  return key ? document.querySelector(`.st-key-${key} .live-chart.js-plotly-plot`) : null;
}

// the rows of one ladder value for each chart: [trace test, x, y] per trace it changes
function ladderTraces(ladder, index) {
  const paths = ladder.pathSteps.length, lines = ladder.lineSteps.length, label = ladder.label;
  const path = ladder.paths.subarray(index * 2 * paths, (index + 1) * 2 * paths);
  const [endX, endY] = ladder.ends.subarray(index * 2, index * 2 + 2);
  const main = [
    [(t) => t.meta === "path" && t.name === label, path.subarray(0, paths), path.subarray(paths)],
    [(t) => t.meta === "path-marker" && t.legendgroup === label, [path[0], endX], [path[paths], endY]],
  ];
  const losses = ladder.losses.subarray(index * lines, (index + 1) * lines);
  const loss = [[(t) => t.name === label, ladder.lineSteps, losses]];
  const step = [];
  if (ladder.stepSizes) {
    const size = ladder.stepSteps.length, row = ladder.stepSizes.subarray(index * 2 * size, (index + 1) * 2 * size);
    step.push([(t) => t.name === `${label}: x`, ladder.stepSteps, row.subarray(0, size)]);
    step.push([(t) => t.name === `${label}: y`, ladder.stepSteps, row.subarray(size)]);
  }
  return { main, loss, step };
}

function axisOf(chart, id) {
  return chart._fullLayout[id.replace(/^([xy])/, "$1axis")];
}

// Draws a trace's new points straight into its SVG, as Plotly drew it (a line, and markers where it
// has them), in about a millisecond: Plotly.restyle recomputes and redraws the whole chart, 20-60 ms
// a move here. Plotly's own data stays the server's figure, which any redraw of the chart shows again.
function redrawTrace(chart, index, xs, ys) {
  const group = traceGroup(chart, index);
  if (!group) return false;
  const trace = chart._fullData[index];
  const xa = axisOf(chart, trace.xaxis), ya = axisOf(chart, trace.yaxis);
  const px = new Float64Array(xs.length), py = new Float64Array(xs.length);
  let d = "", pen = false;
  for (let i = 0; i < xs.length; i++) {
    px[i] = xa.c2p(xs[i]);
    py[i] = ya.c2p(ys[i]);
    if (!Number.isFinite(px[i]) || !Number.isFinite(py[i])) {
      pen = false;
      continue;
    }
    d += `${pen ? "L" : "M"}${px[i].toFixed(2)},${py[i].toFixed(2)}`;
    pen = true;
  }
  group.querySelectorAll("path.js-line").forEach((line) => line.setAttribute("d", d || "M0,0"));
  group.querySelectorAll("path.point").forEach((point) => {
    const at = point.__data__ ? point.__data__.i : -1;
    const shown = at >= 0 && at < xs.length && Number.isFinite(px[at]) && Number.isFinite(py[at]);
    point.style.display = shown ? "" : "none";
    if (shown) point.setAttribute("transform", `translate(${px[at].toFixed(2)},${py[at].toFixed(2)})`);
  });
  return true;
}

// after a drag that ended where the server's figure was drawn, the chart shows that figure again
function restoreLater(chart) {
  clearTimeout(chart.__scrubRestore);
  chart.__scrubRestore = setTimeout(() => {
    if (chart.isConnected && chart.__scrubShown === chart.__scrubOrigin) window.Plotly.redraw(chart);
  }, 300);
}

function scrubTo(setting, index, from) {
  const header = SCRUB.header;
  const ladder = freshLadder(setting);
  if (!ladder || !(index >= 0 && index < ladder.count) || !window.Plotly) return;
  if (SCRUB.shown && SCRUB.shown.ladder === ladder && SCRUB.shown.index === index) return;  // drawn already
  SCRUB.shown = { ladder, index };
  const began = performance.now();
  const times = {};
  const rows = ladderTraces(ladder, index);
  for (const [role, traces] of Object.entries(rows)) {
    const chart = chartOf(header.charts[role]);
    if (!chart || !chart.data || !chart._fullLayout) continue;
    const found = traces.map(([test, x, y]) => [chart.data.findIndex(test), x, y]).filter(([at]) => at >= 0);
    if (!found.length) continue;
    chart.__playback?.stop();
    if (chart.__scrubOrigin === undefined) chart.__scrubOrigin = from;
    chart.__scrubShown = index;
    chart.__scrubbedTraces ??= new Set();
    for (const [at, x, y] of found) if (redrawTrace(chart, at, x, y)) chart.__scrubbedTraces.add(at);
    if (index === chart.__scrubOrigin) restoreLater(chart);
    times[role] = performance.now();
  }
  const log = window.__rmspropScrubLog;
  if (log) log.push({ setting, index, revision: ladder.revision, began, ...times, done: performance.now() });
}

// A drag: the position under the pointer, as the slider computes it from the track, drawn in the
// pointer event itself (the slider's own value follows a frame later, through React).
function pressed(event) {
  const found = sliderAt(event.target);
  if (found && !freshLadder(found.setting)) request(found.setting, true);  // the pointer may have rested there
  const track = found && found.input.parentElement.parentElement.parentElement;
  SCRUB.dragging = track ? { ...found, track, from: Number(found.input.getAttribute("value")) } : null;
  if (!SCRUB.dragging || !SCRUB.header || !SCRUB.header.ladder) return;
  SCRUB.shown = { ladder: SCRUB.header.ladder, index: SCRUB.dragging.from };  // what the charts show now
  moved(event);  // a press on the track jumps there
}

function moved(event) {
  const drag = SCRUB.dragging;
  if (!drag || !(event.buttons & 1) || !drag.input.isConnected) return;
  const box = drag.track.getBoundingClientRect();
  const low = Number(drag.input.getAttribute("min")), high = Number(drag.input.getAttribute("max"));
  const share = Math.min(1, Math.max(0, (event.clientX - box.left) / box.width));
  scrubTo(drag.setting, Math.round(low + share * (high - low)), drag.from);
}

function setUpScrubbing(bytes, setStateValue) {
  SCRUB.header = readLadderPayload(bytes);
  SCRUB.setState = setStateValue;
  const ladder = SCRUB.header.ladder;
  if (ladder) SCRUB.requested = requestKey(ladder.setting, ladder.revision);
  if (!SCRUB.listening) {
    SCRUB.listening = true;
    document.addEventListener("pointerover", approach, true);
    document.addEventListener("focusin", approach, true);
    document.addEventListener("pointerdown", pressed, true);
    document.addEventListener("pointermove", moved, true);
    document.addEventListener("pointerup", () => (SCRUB.dragging = null), true);
  }
}

export default function ({ data, parentElement, setStateValue, setTriggerValue }) {
  const plotlyLoading = loadPlotly();
  if (data == null) return;  // preload_plotly(): start the download, draw nothing
  const bytes = asBytes(data);
  if (isLadder(bytes)) return setUpScrubbing(bytes, setStateValue);
  let chart = parentElement.querySelector(":scope > .live-chart");
  if (!chart) {
    chart = document.createElement("div");
    chart.className = "live-chart";
    chart.setAttribute("data-testid", "liveChart");
    parentElement.appendChild(chart);
  }
  const text = new TextDecoder().decode(bytes);
  // the same figure again (a rerun that changed nothing here) keeps a playback's or flight's place
  const figure = chart.__figure && text === chart.__figureText ? chart.__figure : JSON.parse(text);
  chart.__figureText = text;
  if (figure.scrubRevisions) SCRUB.revisions = figure.scrubRevisions;
  chart.__setTrigger = setTriggerValue;  // this run's: its fragment reruns
  // reserve the height at once, so nothing below jumps while plotly.js loads
  chart.style.minHeight = (figure.layout.height || 450) + "px";
  let current = true;
  // the switch that turned presentation mode on keeps the focus in the collapsed sidebar, where
  // Space would switch it off again
  if (figure.present && document.activeElement?.closest("[data-testid=stSidebar]")) document.activeElement.blur();
  plotlyLoading.then((Plotly) => {
    if (!current) return;
    draw(Plotly, chart, figure);
    // on a projector the title, scenario and formula above would push the main chart half off the
    // screen: scroll it onto the screen once (its bottom at the screen's, the playback bar above it
    // in view), when presentation mode first draws it
    if (figure.present && chart === firstChart() && !chart.__broughtToTop) {
      chart.__broughtToTop = true;
      const bringIntoView = () => chart.scrollIntoView({ block: "end" });
      const fits = () => chart.getBoundingClientRect().bottom <= window.innerHeight + 1;
      bringIntoView();
      // the page below may not be drawn yet, so that scroll can stop short, and what is above may
      // still grow (a table drawn late) and push the chart down: scroll again whenever the page
      // changes size and the chart's bottom is off the screen, until the user scrolls or acts
      const events = ["wheel", "touchstart", "keydown", "mousedown"];
      const growing = new ResizeObserver(() => { if (!fits()) bringIntoView(); });
      const stop = () => {
        growing.disconnect();
        for (const name of events) window.removeEventListener(name, stop);
      };
      for (const name of events) window.addEventListener(name, stop, { passive: true });
      growing.observe(chart.closest("[data-testid=stMainBlockContainer]") || document.body);
    }
    if (!chart.__resizeObserver) {
      chart.style.background = "white";  // in full screen, around the plot too
      chart.addEventListener("fullscreenchange", () => draw(Plotly, chart, chart.__figure));
      let lastWidth = chart.clientWidth;
      chart.__resizeObserver = new ResizeObserver(() => {
        // width 0: not laid out for a moment (Streamlit collapses an element while it inserts one
        // above it), where a redraw would purge the chart twice, and with it the user's zoom
        if (chart.clientWidth && chart.clientWidth !== lastWidth && chart.isConnected) {
          const width = chart.clientWidth;
          const crossed = variantWidths(chart.__figure).some((below) => (width < below) !== (lastWidth < below));
          lastWidth = chart.clientWidth;
          if (crossed) {  // the other variant, drawn afresh: a redraw kept the other one's fitted axes
            const frameOnScreen = chart._fullLayout?._currentFrame;
            Plotly.purge(chart);  // and with it the chart's plotly event handlers, set again below
            chart.__plotlyHandlersSet = chart.__reportsSelections = chart.__flying = false;
            chart.__animation = null;  // a purged chart's animation never ends
            draw(Plotly, chart, chart.__figure, frameOnScreen);
          } else if (chart.__legendRoom) {  // its legend may wrap onto other rows at the new width
            Plotly.Plots.resize(chart).then(() => draw(Plotly, chart, chart.__figure));
          } else Plotly.Plots.resize(chart);
        }
      });
      chart.__resizeObserver.observe(chart);
    }
  }).catch(() => {
    if (current) chart.textContent = "The chart library could not be loaded. Reload the page to try again.";
  });
  return () => {
    current = false;
    // also called before each new figure; only a chart that has left the page is torn down
    setTimeout(() => {
      if (!chart.isConnected && window.Plotly) {
        chart.__resizeObserver?.disconnect();
        window.Plotly.purge(chart);
      }
    }, 0);
  };
}
