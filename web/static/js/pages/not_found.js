// An address that is no page of shiftline.
import { session } from "../api.js";
import { notFound, placeTopBar, topBar } from "../ui.js";

if (session()) placeTopBar(topBar("Not found", [{ href: "/campaigns", label: "Campaigns" }]));
notFound(/** @type {HTMLElement} */ (document.getElementById("main")), "This address");
