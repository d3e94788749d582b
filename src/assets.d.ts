// Files imported `with { type: "file" }` resolve to a path (embedded in the compiled binary).
declare module "*.onnx" {
  const path: string;
  export default path;
}
declare module "*.so.1" {
  const path: string;
  export default path;
}
declare module "*.sql" {
  const text: string;
  export default text;
}
declare module "*.css" {
  const path: string;
  export default path;
}
declare module "*.md" {
  const text: string;
  export default text;
}
