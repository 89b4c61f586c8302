/**
 * Zod compiles object parsers with `new Function` unless told not to. The
 * console's CSP has no 'unsafe-eval', so even zod's guarded probe would be
 * reported as a violation. Zod reads this flag when a schema is constructed,
 * so this module must be imported before any module that defines schemas
 * (main.tsx imports it first).
 */
import { z } from 'zod';

z.config({ jitless: true });
