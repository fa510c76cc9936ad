export { buildGreetingText, type CardMacroValues, substituteCardMacros } from './card-macros.js';
export {
  buildCardExport,
  buildCardFileName,
  buildCardPrompt,
  type CardImport,
  CardImportLimits,
  type ExportablePersonality,
  mapCardToPersonality,
  type StoredCard,
} from './card-mapping.js';
export { type CardData, CardDataSchema, type ParsedCard } from './card-schema.js';
export { CardMessages } from './messages.js';
export {
  type CardFile,
  CardLimits,
  checkCardFile,
  findCardFileKind,
  parseCardFile,
  parseCardJson,
  V3_FIELDS_EXTENSION,
} from './parse-card.js';
