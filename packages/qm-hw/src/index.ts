/**
 * @packageDocumentation
 * Not built yet: this package exports nothing. Its README says what it will model.
 */
export {};
