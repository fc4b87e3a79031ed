/** Label and field selectors for list, watch and deletecollection requests. */
export { formatLabelSelector, labelSelectorFromObject, parseLabelSelector, type LabelSelector } from "./label-selector";
export { parseFieldSelector, type FieldRequirement, type FieldSelector } from "./field-selector";
export type { LabelOperator, LabelRequirement } from "./label-requirement";
