// esbuild bundles imported style sheets into app.css; for the type checker they are modules of nothing.
declare module '*.css';
