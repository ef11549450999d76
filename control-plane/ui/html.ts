// htm bound to Preact's h: templates written as tagged strings, every interpolated value rendered by
// Preact as text or a prop (never parsed as HTML), so names from resources or proxies cannot inject markup.
import htm from 'htm';
import { h } from 'preact';

export const html = htm.bind(h);
