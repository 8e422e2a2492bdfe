"""Benchmark tasks with exact MI (shared by the benchmark scripts)."""

from __future__ import annotations

from dataclasses import dataclass

from neuralmi_core.samplers import CorrelatedGaussian


@dataclass(frozen=True)
class Task:
    name: str
    sampler: CorrelatedGaussian
    n: int = 5000
    gaussian: bool = True

    @property
    def mi(self) -> float:
        return self.sampler.mutual_information()


def accuracy_tasks() -> list[Task]:
    CG = CorrelatedGaussian
    return [
        Task("gauss 1+1d 0.5", CG(1, 1, 0.5)),
        Task("gauss 5+5d 0.1", CG(5, 5, 0.1)),
        Task("gauss 5+5d 1.0", CG(5, 5, 1.0)),
        Task("gauss 2+2d 3.0", CG(2, 2, 3.0)),
        Task("gauss 10+10d 2.0 mixed", CG(10, 10, 2.0, mix=True)),
        Task("gauss 20+20d 4.0", CG(20, 20, 4.0)),
        Task("gauss 50+50d 1.0", CG(50, 50, 1.0, n_pairs=5)),
        Task("gauss 10+10d 5.0", CG(10, 10, 5.0), n=10000),
        Task("cube 5+5d 1.0", CG(5, 5, 1.0, transform="cube"), gaussian=False),
        Task("uniform 5+5d 2.0 mixed", CG(5, 5, 2.0, mix=True, transform="uniform"), gaussian=False),
        Task("lognormal 10+10d 2.0", CG(10, 10, 2.0, transform="exp"), gaussian=False),
        Task("student-t(2) 5+5d 1.0", CG(5, 5, 1.0, transform="student_t2"), gaussian=False),
        Task("sinh 3+3d 0.3", CG(3, 3, 0.3, transform="sinh"), gaussian=False),
        Task("spiral 4+4d 1.0", CG(4, 4, 1.0, spiral=0.2), gaussian=False),
    ]
