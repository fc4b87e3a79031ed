/**
 * Decoding of Kubernetes protobuf request bodies (what kubectl 1.32's typed clients send)
 * into the JSON form of the object, driven by the field facts of the API types.
 */
export { isK8sProtobuf, decodeK8sProtobuf, type EnvelopeDefaults } from "./envelope";
export { decodeMessage, decodeValue } from "./decode-message";
export { formatGoDuration } from "./go-duration";
