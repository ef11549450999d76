// The dashboard's entry point (bundled into dist/ui/app.js): styles, then the app into #app.
import 'uplot/dist/uPlot.min.css';
import './app.css';
import { render } from 'preact';
import { App } from './app.js';
import { html } from './html.js';

render(html`<${App} />`, document.getElementById('app')!);
