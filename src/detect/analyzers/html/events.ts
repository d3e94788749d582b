/**
 * Event-handler attribute names (without `on`) that browsers, current and legacy, run as script:
 * the HTML, DOM, CSS animation and transition, pointer, touch, media, SVG, old IE/Firefox and WML events.
 * An `on...` attribute outside this set is still suspicious in a tag, but a known name is proof.
 */
const EVENT_NAMES = new Set(`
abort activate afterprint afterscriptexecute afterupdate animationcancel animationend animationiteration animationstart
appinstalled auxclick beforeactivate beforecopy beforecut beforedeactivate beforeeditfocus beforeinput beforeinstallprompt
beforematch beforepaste beforeprint beforescriptexecute beforetoggle beforeunload beforeupdate begin blur bounce cancel
canplay canplaythrough cellchange change click close command contentvisibilityautostatechange contextlost contextmenu
contextrestored controlselect copy cuechange cut dataavailable datasetchanged datasetcomplete dblclick deactivate
devicemotion deviceorientation deviceorientationabsolute drag dragdrop dragend dragenter dragexit dragleave dragover
dragstart drop durationchange emptied encrypted end ended error errorupdate filterchange finish focus focusin focusout
formdata fullscreenchange fullscreenerror gamepadconnected gamepaddisconnected gotpointercapture hashchange help input
invalid keydown keypress keyup languagechange layoutcomplete load loadeddata loadedmetadata loadend loadstart losecapture
lostpointercapture message messageerror mousedown mouseenter mouseleave mousemove mouseout mouseover mouseup mousewheel
move moveend movestart mozfullscreenchange offline online orientationchange overflow pagehide pagereveal pageshow
pageswap paste pause play playing pointercancel pointerdown pointerenter pointerleave pointerlockchange pointerlockerror
pointermove pointerout pointerover pointerrawupdate pointerup popstate progress propertychange ratechange readystatechange
rejectionhandled repeat reset resize resizeend resizestart rowenter rowexit rowsdelete rowsinserted scroll scrollend
scrollsnapchange scrollsnapchanging search securitypolicyviolation seeked seeking select selectionchange selectstart show
slotchange stalled start stop storage submit suspend timeupdate toggle touchcancel touchend touchmove touchstart
transitioncancel transitionend transitionrun transitionstart underflow unhandledrejection unload visibilitychange
volumechange waiting webkitanimationend webkitanimationiteration webkitanimationstart webkitmouseforcechanged
webkitmouseforcedown webkitmouseforceup webkitmouseforcewillbegin webkitplaybacktargetavailabilitychanged
webkittransitionend webkitwillrevealbottom wheel zoom
timer enterforward enterbackward pick
`.trim().split(/\s+/));

/** `onerror` → true when the attribute name is `on` + a known event. Names come lower-cased. */
export function isEventHandlerName(name: string): boolean {
  return name.length > 2 && name.startsWith("on") && EVENT_NAMES.has(name.slice(2));
}

/** Any `on<letters>` attribute: what a custom or future event would look like. */
export function looksLikeHandlerName(name: string): boolean {
  return name.length > 4 && name.startsWith("on") && /^on[a-z]+$/.test(name);
}
