export { renderChatTemplate, type ChatMessage, type ChatTemplateOptions } from "./render.js";
export {
  BUILTIN_TEMPLATES, builtinTemplateFor, chatTemplateOf, type BuiltinTemplateName, type ModelChatTemplate,
} from "./builtin.js";
