export {
  defineStruct,
  type FieldDecl,
  type FieldLayout,
  type FieldValue,
  SCALAR_SIZE,
  type ScalarType,
  StructLayout,
  type StructOptions,
  type StructValue,
} from './struct-layout.js';
