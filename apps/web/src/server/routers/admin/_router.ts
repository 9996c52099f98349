import { env } from "../../../env";
import { platformAdminProcedure, router } from "../../trpc";
import {
  getOrgLimitsHandler,
  listOrgsHandler,
  listUsersHandler,
  outboxHandler,
  platformUsageHandler,
  setOrgLimitsHandler,
  setUserActiveHandler,
} from "./handlers";
import {
  ZAdminOrgRef,
  ZAdminOutbox,
  ZAdminSearch,
  ZAdminUsage,
  ZSetOrgLimits,
  ZSetUserActive,
} from "./schema";

export const adminRouter = router({
  orgs: platformAdminProcedure.input(ZAdminSearch).query(({ ctx, input }) => listOrgsHandler({ ctx, input })),
  users: platformAdminProcedure
    .input(ZAdminSearch)
    .query(({ ctx, input }) => listUsersHandler({ ctx, input, platformAdmins: env.HENS_PLATFORM_ADMINS })),
  setUserActive: platformAdminProcedure
    .input(ZSetUserActive)
    .mutation(({ ctx, input }) => setUserActiveHandler({ ctx, input })),
  orgLimits: platformAdminProcedure
    .input(ZAdminOrgRef)
    .query(({ ctx, input }) => getOrgLimitsHandler({ ctx, input })),
  setOrgLimits: platformAdminProcedure
    .input(ZSetOrgLimits)
    .mutation(({ ctx, input }) => setOrgLimitsHandler({ ctx, input })),
  usage: platformAdminProcedure
    .input(ZAdminUsage)
    .query(({ ctx, input }) => platformUsageHandler({ ctx, input })),
  outbox: platformAdminProcedure.input(ZAdminOutbox).query(({ ctx, input }) => outboxHandler({ ctx, input })),
});
