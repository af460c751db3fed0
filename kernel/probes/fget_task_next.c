// SPDX-License-Identifier: GPL-2.0
/* Compiles on 6.13+, where fget_task_next() replaced the fdget_rcu lookups. */
#include <linux/file.h>
#include <linux/sched.h>

struct file *efd_probe(struct task_struct *task, unsigned int *fd);
struct file *efd_probe(struct task_struct *task, unsigned int *fd)
{
	return fget_task_next(task, fd);
}
