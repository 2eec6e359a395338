// `node main.ts` and the image's main.js: the Atomix controller (functions/atomix-controller/main.ts).
import "./functions/atomix-controller/main.ts";
