/** One line of `moat doctor`'s report: shared by doctor.ts and its mirror checks (doctor-mirror.ts). */
export type DoctorStatus = "ok" | "warn" | "fail";

export interface DoctorFinding {
  check: string;
  status: DoctorStatus;
  message: string;
}
